import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { FakeGateway } from './support/fake-gateway.js';
import { adminSession, bearer, createUser, TestUser } from './fixtures/users.js';
import { eventually } from './fixtures/waiting.js';
import { createTestApp, TestApp } from './support/test-app.js';

/**
 * The lane totals as the jobs themselves give them (test/lane-loads.int-spec.ts), with
 * suppressed SMS final like the other final states.
 */
const FROM_JOBS = `
  SELECT coalesce(user_id, 0) AS user_id, CASE WHEN adhoc THEN 0 ELSE 1 END AS lane,
    count(*) FILTER (WHERE job_status = 'pending')::int AS pending_jobs,
    coalesce(sum(r) FILTER (WHERE job_status = 'pending'), 0)::int AS pending_sms,
    count(*) FILTER (WHERE job_status = 'sending')::int AS sending_jobs,
    coalesce(sum(r) FILTER (WHERE job_status = 'sending'), 0)::int AS sending_sms
  FROM (SELECT *, recipient_count - sent_count - failed_count - cancelled_count - expired_count
          - suppressed_count AS r FROM messages) m
  WHERE job_status IN ('pending', 'sending') AND resume_at IS NULL
  GROUP BY 1, 2 ORDER BY 1, 2`;

const FROM_TOTALS = `
  SELECT l.user_id, l.lane, pending_jobs, pending_sms::int, sending_jobs,
    coalesce(s.sms, 0)::int AS sending_sms
  FROM lane_loads l LEFT JOIN started_loads s USING (user_id, lane)
  WHERE pending_jobs <> 0 OR pending_sms <> 0 OR sending_jobs <> 0
  ORDER BY 1, 2`;

/**
 * CONTENT.md, suppression list: admin routes (add, list, remove, CSV import), and a suppressed
 * number is never sent to: stored `suppressed` at submission (single, bulk, personalised,
 * CSV, scheduled), and marked `suppressed` when taken if it was suppressed while waiting.
 * Judged at a local fake gateway, with the lane totals checked against the jobs.
 */
describe('Suppression list (e2e)', () => {
  let gw: FakeGateway;
  let t: TestApp;
  let admin: string;
  let user: TestUser;

  beforeAll(async () => {
    gw = await FakeGateway.start();
    t = await createTestApp(
      {
        SMS_PROVIDER: 'hkt',
        SMS_BASE_URL: gw.url,
        SMS_APPLICATION_ID: 'app-123',
        SMS_SENDER_NUMBER: '85230000000',
        SMS_RATE_PER_SEC: '200',
        SMS_BURST_CAPACITY: '20',
        QUEUE_POLL_MS: '100',
        SMS_DEFAULT_COUNTRY: 'HK',
        SMS_MAX_CSV_ROWS: '100',
      },
      'suppress',
    );
    admin = await adminSession(t);
    user = await createUser(t);
  });
  afterAll(async () => {
    await t.close();
    await gw.stop();
  });
  beforeEach(async () => {
    gw.reset();
    await t.db.dataSource.query(`DELETE FROM suppressions`);
  });

  const suppress = (phone: string, reason?: string) =>
    t
      .http()
      .post('/api/admin/suppressions')
      .set(bearer(admin))
      .send({ phone, ...(reason ? { reason } : {}) });
  const detail = async (id: number) =>
    (await t.http().get(`/api/sms/${id}`).set(bearer(user.apiToken)).expect(200)).body.data;
  const recipients = async (id: number) =>
    (await t.http().get(`/api/sms/${id}/recipients`).set(bearer(user.apiToken)).expect(200)).body
      .data.recipients as { phone: string; status: string; attempts: number }[];
  const finished = (id: number) =>
    eventually(async () => {
      const d = await detail(id);
      return d.completed_at ? d : null;
    });
  // Both read in one statement (one snapshot): the worker may be moving a job meanwhile.
  const expectTotalsMatch = async () => {
    const [both] = await t.db.dataSource.query(
      `SELECT (SELECT coalesce(json_agg(x), '[]') FROM (${FROM_TOTALS}) x) AS totals,
              (SELECT coalesce(json_agg(y), '[]') FROM (${FROM_JOBS}) y) AS jobs`,
    );
    expect(both.totals).toEqual(both.jobs);
  };
  const importCsv = (csv: string, query = '', token = admin) =>
    t
      .http()
      .post(`/api/admin/suppressions/import${query}`)
      .set(bearer(token))
      .set('Content-Type', 'text/csv')
      .send(Buffer.from(csv, 'utf8'));

  describe('admin routes', () => {
    it('adds a number in E.164 (201), answers 200 with the entry when it is already there', async () => {
      const first = await suppress('+852 9123 4567', 'Replied STOP').expect(201);
      expect(first.body).toEqual({
        success: true,
        data: {
          phone: '+85291234567',
          reason: 'Replied STOP',
          created_at: expect.any(String),
          created_by: 'SMSadmin',
        },
      });
      // A national number (SMS_DEFAULT_COUNTRY=HK) is the same number.
      const again = await suppress('9123 4567', 'other').expect(200);
      expect(again.body.data).toEqual(first.body.data);
    });

    it('refuses an invalid number with 400 in the envelope', async () => {
      const res = await suppress('+8529').expect(400);
      expect(res.body.success).toBe(false);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      const missing = await t.http().post('/api/admin/suppressions').set(bearer(admin)).send({});
      expect(missing.status).toBe(400);
    });

    it('lists newest first with pages and a phone prefix filter', async () => {
      for (const p of ['+85291000001', '+85291000002', '+85261000003']) {
        await suppress(p).expect(201);
      }
      const all = await t
        .http()
        .get('/api/admin/suppressions?per_page=2')
        .set(bearer(admin))
        .expect(200);
      expect(all.body.data).toMatchObject({ total: 3, pages: 2, current_page: 1 });
      expect(all.body.data.suppressions).toHaveLength(2);
      const filtered = await t
        .http()
        .get(`/api/admin/suppressions?phone=${encodeURIComponent('+852 9100')}`)
        .set(bearer(admin))
        .expect(200);
      expect(filtered.body.data.suppressions.map((s: { phone: string }) => s.phone).sort()).toEqual(
        ['+85291000001', '+85291000002'],
      );
      const none = await t
        .http()
        .get('/api/admin/suppressions?phone=%25')
        .set(bearer(admin))
        .expect(200);
      expect(none.body.data.total).toBe(0);
    });

    it('removes a number given URL-encoded (204), then 404 in the envelope', async () => {
      await suppress('+85291000001').expect(201);
      await t
        .http()
        .delete('/api/admin/suppressions/%2B85291000001')
        .set(bearer(admin))
        .expect(204);
      const gone = await t
        .http()
        .delete('/api/admin/suppressions/%2B85291000001')
        .set(bearer(admin))
        .expect(404);
      expect(gone.body).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
      await t.http().delete('/api/admin/suppressions/abc').set(bearer(admin)).expect(400);
    });

    it('is for admins only: 403 for a user, 401 without a token', async () => {
      const u = bearer(user.apiToken);
      const calls = [
        t.http().get('/api/admin/suppressions').set(u),
        t.http().post('/api/admin/suppressions').set(u).send({ phone: '+85291000001' }),
        t.http().delete('/api/admin/suppressions/%2B85291000001').set(u),
        importCsv('phone\n+85291000001\n', '', user.apiToken),
      ];
      for (const res of await Promise.all(calls)) {
        expect(res.status).toBe(403);
        expect(res.body.error.code).toBe('FORBIDDEN');
      }
      await t.http().get('/api/admin/suppressions').expect(401);
      const [{ n }] = await t.db.dataSource.query(`SELECT count(*)::int AS n FROM suppressions`);
      expect(n).toBe(0);
    });
  });

  describe('CSV import', () => {
    it('adds valid rows, counts those already there or repeated, reports invalid rows', async () => {
      await suppress('+85291000001').expect(201);
      const csv = [
        'Name;Mobile;Reason',
        'A;+85291000001;dup of list',
        'B;"+852 9100 0002";STOP',
        'C;+8529;bad',
        'D;91000003;',
        'E;+85291000002;repeat in file',
        'F;x',
      ].join('\r\n');
      const res = await importCsv(csv, '?reason=import').expect(200);
      expect(res.body.data).toEqual({
        added: 2,
        already: 2,
        invalid: [
          { row: 4, message: expect.stringMatching(/^phone /) },
          { row: 7, message: '2 cells where the header has 3' },
        ],
        invalid_count: 2,
      });
      const rows = await t.db.dataSource.query(
        `SELECT phone, reason FROM suppressions ORDER BY phone`,
      );
      expect(rows).toEqual([
        { phone: '+85291000001', reason: null },
        { phone: '+85291000002', reason: 'STOP' },
        { phone: '+85291000003', reason: 'import' },
      ]);
    });

    it('writes a large file in batches, all in one transaction', async () => {
      const lines = ['phone'];
      for (let i = 0; i < 99; i++) lines.push(`+8529200${String(i).padStart(4, '0')}`);
      const ok = await importCsv(lines.join('\n')).expect(200);
      expect(ok.body.data).toMatchObject({ added: 99, already: 0, invalid_count: 0 });
      // Over SMS_MAX_CSV_ROWS (100): 413 and nothing of it is kept.
      const more = ['phone'];
      for (let i = 0; i < 101; i++) more.push(`+8529300${String(i).padStart(4, '0')}`);
      await importCsv(more.join('\n')).expect(413);
      const [{ n }] = await t.db.dataSource.query(
        `SELECT count(*)::int AS n FROM suppressions WHERE phone LIKE '+8529300%'`,
      );
      expect(n).toBe(0);
    });

    it('refuses a file without a phone column (400) and a body that is not text/csv (415)', async () => {
      const bad = await importCsv('name,reason\nA,B\n').expect(400);
      expect(bad.body.error.code).toBe('VALIDATION_ERROR');
      await t
        .http()
        .post('/api/admin/suppressions/import')
        .set(bearer(admin))
        .send({ phone: '+85291000001' })
        .expect(415);
    });
  });

  describe('at submission', () => {
    it('a single SMS to a suppressed number: stored suppressed, job completed at once, nothing sent', async () => {
      await suppress('+85291000001').expect(201);
      const res = await t
        .http()
        .post('/api/sms')
        .set(bearer(user.apiToken))
        .send({ recipient: '+852 9100 0001', content: 'hi' })
        .expect(202);
      expect(res.body.data).toMatchObject({ job_status: 'completed', suppressed_count: 1 });
      const d = await detail(res.body.data.id);
      expect(d).toMatchObject({
        job_status: 'completed',
        status: 'sent',
        suppressed_count: 1,
        pending_count: 0,
        success_count: 0,
        progress_percent: 100,
      });
      expect(d.completed_at).not.toBeNull();
      expect(await recipients(res.body.data.id)).toMatchObject([
        { phone: '+85291000001', status: 'suppressed', attempts: 0 },
      ]);
      await expectTotalsMatch();
      await new Promise((r) => setTimeout(r, 300));
      expect(gw.requests).toEqual([]);
    });

    it('a bulk sends the others, completes normally and counts the suppressed', async () => {
      await suppress('+85291000002').expect(201);
      await suppress('+85291000004').expect(201);
      const phones = ['+85291000001', '+85291000002', '+85291000003', '+85291000004'];
      const res = await t
        .http()
        .post('/api/sms/send-bulk')
        .set(bearer(user.apiToken))
        .send({ recipients: phones, content: 'bulk' })
        .expect(202);
      expect(res.body.data).toMatchObject({ job_status: 'pending', suppressed_count: 2 });
      await expectTotalsMatch();
      const d = await finished(res.body.data.id);
      expect(d).toMatchObject({
        job_status: 'completed',
        success_count: 2,
        suppressed_count: 2,
        pending_count: 0,
      });
      expect(gw.requests.map((r) => r.to).sort()).toEqual(['+85291000001', '+85291000003']);
      expect((await recipients(res.body.data.id)).map((r) => r.status)).toEqual([
        'sent',
        'suppressed',
        'sent',
        'suppressed',
      ]);
      const list = await t.http().get('/api/sms').set(bearer(user.apiToken)).expect(200);
      expect(list.body.data.messages[0]).toMatchObject({ id: d.id, suppressed_count: 2 });
      await expectTotalsMatch();
    });

    it('a personalised bulk and a CSV upload store suppressed recipients; the dry run counts them', async () => {
      await suppress('+85291000011').expect(201);
      const res = await t
        .http()
        .post('/api/sms/send-bulk')
        .set(bearer(user.apiToken))
        .send({
          recipients: [
            { phone: '+85291000011', vars: { name: 'A' } },
            { phone: '+85291000012', vars: { name: 'B' } },
          ],
          content: 'Dear {{name}}',
        })
        .expect(202);
      expect(res.body.data).toMatchObject({ personalised: true, suppressed_count: 1 });
      await finished(res.body.data.id);
      expect(gw.requests.map((r) => [r.to, r.text])).toEqual([['+85291000012', 'Dear B']]);

      const csv = 'phone,name\n+85291000011,A\n+85291000013,C\n+85291000014,D\n';
      const upload = (query: string) =>
        t
          .http()
          .post(`/api/sms/send-csv?content=${encodeURIComponent('Hi {{name}}')}${query}`)
          .set(bearer(user.apiToken))
          .set('Content-Type', 'text/csv')
          .send(Buffer.from(csv, 'utf8'));
      const dry = await upload('&dry_run=true').expect(200);
      expect(dry.body.data).toMatchObject({ rows: 3, valid: 3, suppressed: 1 });
      gw.reset();
      const sent = await upload('').expect(202);
      expect(sent.body.data).toMatchObject({ suppressed_count: 1, report: { suppressed: 1 } });
      const d = await finished(sent.body.data.id);
      expect(d).toMatchObject({ job_status: 'completed', success_count: 2, suppressed_count: 1 });
      expect(gw.requests.map((r) => r.to).sort()).toEqual(['+85291000013', '+85291000014']);
      await expectTotalsMatch();
    });

    it('a scheduled job holds only the numbers not suppressed; all suppressed: completed at once', async () => {
      await suppress('+85291000021').expect(201);
      const sendAt = new Date(Date.now() + 3_600_000).toISOString();
      const held = await t
        .http()
        .post('/api/sms/send-bulk')
        .set(bearer(user.apiToken))
        .send({ recipients: ['+85291000021', '+85291000022'], content: 'later', send_at: sendAt })
        .expect(202);
      expect(held.body.data).toMatchObject({ job_status: 'scheduled', suppressed_count: 1 });
      expect((await recipients(held.body.data.id)).map((r) => r.status)).toEqual([
        'suppressed',
        'held',
      ]);
      const all = await t
        .http()
        .post('/api/sms')
        .set(bearer(user.apiToken))
        .send({ recipient: '+85291000021', content: 'later', send_at: sendAt })
        .expect(202);
      expect(all.body.data).toMatchObject({ job_status: 'completed', suppressed_count: 1 });
      const [row] = await t.db.dataSource.query(`SELECT resume_at FROM messages WHERE id = $1`, [
        all.body.data.id,
      ]);
      expect(row.resume_at).toBeNull();
      await expectTotalsMatch();
      await t
        .http()
        .post(`/api/sms/${held.body.data.id}/cancel`)
        .set(bearer(user.apiToken))
        .expect(200);
      await expectTotalsMatch();
    });
  });

  describe('when the SMS is taken', () => {
    it('a number suppressed while its SMS waited in the paused queue is marked suppressed, not sent', async () => {
      await t.http().post('/api/admin/queue/pause').set(bearer(admin)).expect(200);
      try {
        const phones = ['+85291000031', '+85291000032', '+85291000033'];
        const res = await t
          .http()
          .post('/api/sms/send-bulk')
          .set(bearer(user.apiToken))
          .send({ recipients: phones, content: 'waiting' })
          .expect(202);
        expect(res.body.data.suppressed_count).toBe(0);
        await suppress('+85291000032', 'STOP while queued').expect(201);
        await expectTotalsMatch();
        await new Promise((r) => setTimeout(r, 200));
        expect(gw.requests).toEqual([]);
        await t.http().post('/api/admin/queue/resume').set(bearer(admin)).expect(200);
        const d = await finished(res.body.data.id);
        expect(d).toMatchObject({
          job_status: 'completed',
          success_count: 2,
          suppressed_count: 1,
          failed_count: 0,
          pending_count: 0,
        });
        expect(gw.requests.map((r) => r.to).sort()).toEqual(['+85291000031', '+85291000033']);
        expect(await recipients(res.body.data.id)).toMatchObject([
          { status: 'sent', attempts: 1 },
          { phone: '+85291000032', status: 'suppressed', attempts: 0 },
          { status: 'sent', attempts: 1 },
        ]);
        await expectTotalsMatch();
      } finally {
        await t.http().post('/api/admin/queue/resume').set(bearer(admin));
      }
    });

    it('a job whose every waiting number was suppressed completes without a request', async () => {
      await t.http().post('/api/admin/queue/pause').set(bearer(admin)).expect(200);
      try {
        const res = await t
          .http()
          .post('/api/sms')
          .set(bearer(user.apiToken))
          .send({ recipient: '+85291000041', content: 'waiting' })
          .expect(202);
        await suppress('+85291000041').expect(201);
        await t.http().post('/api/admin/queue/resume').set(bearer(admin)).expect(200);
        const d = await finished(res.body.data.id);
        expect(d).toMatchObject({ job_status: 'completed', suppressed_count: 1, success_count: 0 });
        expect(gw.requests).toEqual([]);
        await expectTotalsMatch();
      } finally {
        await t.http().post('/api/admin/queue/resume').set(bearer(admin));
      }
    });
  });
});
