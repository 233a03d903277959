import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { countRows, hkMobiles, sendBulk } from './fixtures/messages.js';
import { bearer, createUser, TestUser } from './fixtures/users.js';
import { createTestApp, TestApp } from './support/test-app.js';

const MAX_ROWS = 5_000;

/** CONTENT.md, CSV upload: streamed text/csv, dry-run report, all or nothing, skip_invalid. */
describe('CSV upload (e2e)', () => {
  let t: TestApp;
  let user: TestUser;

  const upload = (query: string, csv: string | Buffer, type = 'text/csv') =>
    t
      .http()
      .post(`/api/sms/send-csv?${query}`)
      .set(bearer(user.apiToken))
      .set('Content-Type', type)
      .send(typeof csv === 'string' ? Buffer.from(csv, 'utf8') : csv);

  beforeAll(async () => {
    t = await createTestApp(
      { QUEUE_ROLE: 'api', SMS_MAX_CSV_ROWS: String(MAX_ROWS), SMS_MAX_CONCURRENT_UPLOADS: '2' },
      'csv',
    );
    user = await createUser(t, { username: 'csv_user' });
  });
  afterAll(async () => {
    await t.close();
  });

  const content = encodeURIComponent('Dear {{name}}, on {{date}}');
  const csv = [
    'Mobile;Name;Date',
    '+85291000001;Chan;3 Dec',
    '"+852 9100 0002";"Wong; Jr";4 Dec',
    '+85291000001;Dup;5 Dec',
    '+8529;Bad;6 Dec',
    '+85291000004;;7 Dec',
    '+85291000005;Lee',
  ].join('\r\n');

  it('dry_run reports counts, errors with row numbers and a preview; nothing queued', async () => {
    const before = await countRows(t);
    const res = await upload(`content=${content}&dry_run=true`, `\uFEFF${csv}`).expect(200);
    expect(res.body.data).toMatchObject({
      rows: 6,
      valid: 2,
      invalid: 3,
      duplicates_removed: 1,
      suppressed: 0,
      total_segments: 2,
      encoding_counts: { gsm7: 2, ucs2: 0 },
      preview: [
        { row: 2, phone: '+85291000001', content: 'Dear Chan, on 3 Dec', segments: 1 },
        { row: 3, phone: '+85291000002', content: 'Dear Wong; Jr, on 4 Dec', segments: 1 },
      ],
    });
    expect(res.body.data.errors).toEqual([
      { row: 5, column: 'Mobile', message: expect.any(String) },
      { row: 6, column: 'name', message: 'no value for name' },
      { row: 7, column: null, message: '2 cells where the header has 3' },
    ]);
    expect(typeof res.body.data.estimated_complete_at).toBe('string');
    expect(await countRows(t)).toEqual(before);
  });

  it('refuses the whole upload when a row is invalid, unless skip_invalid', async () => {
    const before = await countRows(t);
    const bad = await upload(`content=${content}`, csv).expect(400);
    expect(bad.body.error.code).toBe('VALIDATION_ERROR');
    expect(bad.body.error.details.map((d: { row: number }) => d.row)).toEqual([5, 6, 7]);
    expect(await countRows(t)).toEqual(before);

    const ok = await upload(`content=${content}&skip_invalid=true`, csv).expect(202);
    expect(ok.body.data).toMatchObject({ total: 2, personalised: true, duplicates_removed: 1 });
    expect(ok.body.data.report).toMatchObject({ valid: 2, invalid: 3 });
    const list = await t
      .http()
      .get(`/api/sms/${ok.body.data.id}/recipients`)
      .set(bearer(user.apiToken))
      .expect(200);
    expect(list.body.data.recipients.map((r: { content: string }) => r.content)).toEqual([
      'Dear Chan, on 3 Dec',
      'Dear Wong; Jr, on 4 Dec',
    ]);
  });

  it('takes a comma file with a template and the job fields from the query', async () => {
    const tpl = (
      await t
        .http()
        .post('/api/templates')
        .set(bearer(user.apiToken))
        .send({ name: 'T', content: 'Hi {{first}}' })
        .expect(201)
    ).body.data;
    const res = await upload(
      `template_id=${tpl.id}&validity_seconds=600&adhoc=false`,
      'phone,first\n+85291000010,"A, B"\n+85291000011,C\n',
    ).expect(202);
    expect(res.body.data).toMatchObject({ total: 2, template_id: tpl.id, template_version: 1 });
    expect(res.body.data.valid_until).not.toBeNull();
  });

  it.each([
    ['no phone column', 'name\nx\n', 'content=x', 400],
    ['an empty body', '', 'content=x', 400],
    ['a bad quote', 'phone\n"+85291000001\n', 'content=x', 400],
    ['too many rows', `phone\n${hkMobiles(MAX_ROWS + 1, 2_000_000).join('\n')}`, 'content=x', 413],
    ['both content and template_id', 'phone\n+85291000001\n', 'content=x&template_id=1', 400],
    ['a bad dry_run', 'phone\n+85291000001\n', 'content=x&dry_run=yes', 400],
    ['an unknown parameter', 'phone\n+85291000001\n', 'content=x&foo=1', 400],
  ])('refuses %s (%s), queueing nothing', async (_, body, query, status) => {
    const before = await countRows(t);
    const res = await upload(query, body).expect(status);
    expect(res.body.success).toBe(false);
    expect(await countRows(t)).toEqual(before);
  });

  it('answers 415 for a JSON body', async () => {
    const res = await upload('content=x', '{"phone":"+85291000001"}', 'application/json').expect(
      415,
    );
    expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  /** The user's lane totals (bulk lane), as the lane_loads triggers keep them. */
  const laneLoads = async () =>
    (
      await t.db.dataSource.query(
        `SELECT coalesce(sum(pending_jobs), 0)::int AS jobs, coalesce(sum(pending_sms), 0)::int AS sms,
                coalesce(sum(pending_segments), 0)::int AS segments
         FROM lane_loads WHERE user_id = $1`,
        [user.id],
      )
    )[0];

  /** A job and its recipients as stored, tags relative to its first (they continue the lane's). */
  async function stored(id: number) {
    const [job] = await t.db.dataSource.query(
      `SELECT content, encoding, segments, adhoc, recipient_count, duplicates_removed, job_status,
              personalised, total_segments, template_id, template_version, valid_until, send_at, resume_at
       FROM messages WHERE id = $1`,
      [id],
    );
    const recipients = await t.db.dataSource.query(
      `SELECT ordinal, phone, status, priority, content, segments,
              round((vtag - min(vtag) OVER ())::numeric, 6)::float8 AS vtag_offset
       FROM recipients WHERE message_id = $1 ORDER BY ordinal`,
      [id],
    );
    return { job, recipients };
  }

  it('queues a few thousand rows (BOM, `;`, duplicates, unicode, multi-segment) exactly as send-bulk queues the same list', async () => {
    const n = 3_000;
    const numbers = hkMobiles(n, 3_000_000);
    // Every 100th row repeats an earlier number; every 7th needs UCS-2; every 11th is long.
    const people = numbers.map((phone, i) => ({
      phone: i % 100 === 99 ? numbers[i - 50] : phone,
      vars: {
        name: i % 7 === 0 ? `陳 ${i}` : `Name ${i}`,
        note: i % 11 === 0 ? 'x'.repeat(200) : 'ok',
      },
    }));
    const quote = (v: string) => `"${v.replace(/"/g, '""')}"`;
    const csvText = `\uFEFFPhone;Name;Note\r\n${people
      .map((p) => [p.phone, p.vars.name, p.vars.note].map(quote).join(';'))
      .join('\r\n')}\r\n`;
    const text = 'Dear {{name}}; {{note}}';
    const beforeLoads = await laneLoads();
    const beforeRows = await countRows(t);

    const res = await upload(`content=${encodeURIComponent(text)}`, csvText).expect(202);
    const dups = Math.floor(n / 100);
    expect(res.body.data).toMatchObject({
      total: n - dups,
      duplicates_removed: dups,
      personalised: true,
      report: { rows: n, valid: n - dups, invalid: 0, duplicates_removed: dups },
    });
    const csvLoads = await laneLoads();
    expect(await countRows(t)).toEqual({
      messages: beforeRows.messages + 1,
      recipients: beforeRows.recipients + n - dups,
    });

    const bulk = await sendBulk(t, user.apiToken, { recipients: people, content: text }).expect(
      202,
    );
    const bulkLoads = await laneLoads();
    const a = await stored(res.body.data.id);
    const b = await stored(bulk.body.data.id);
    expect(a.job).toEqual(b.job);
    expect(a.recipients).toEqual(b.recipients);
    expect(a.job).toMatchObject({
      encoding: 'ucs2',
      personalised: true,
      recipient_count: n - dups,
    });
    expect(a.recipients.filter((r: { segments: number }) => r.segments > 1).length).toBeGreaterThan(
      0,
    );
    // The lane totals grew by as much for the upload as for the same bulk.
    const grew = (x: typeof beforeLoads, y: typeof beforeLoads) => ({
      jobs: y.jobs - x.jobs,
      sms: y.sms - x.sms,
      segments: y.segments - x.segments,
    });
    expect(grew(beforeLoads, csvLoads)).toEqual(grew(csvLoads, bulkLoads));
    expect(grew(beforeLoads, csvLoads)).toEqual({
      jobs: 1,
      sms: n - dups,
      segments: (n - dups) * a.job.segments,
    });
  });

  it('holds a scheduled upload as send-bulk holds the same scheduled list', async () => {
    const sendAt = new Date(Date.now() + 86_400_000).toISOString();
    const people = hkMobiles(50, 6_000_000).map((phone, i) => ({ phone, vars: { name: `N${i}` } }));
    const csvText = `phone,name\n${people.map((p) => `${p.phone},${p.vars.name}`).join('\n')}\n`;
    const loads = await laneLoads();
    const res = await upload(
      `content=${encodeURIComponent('Hi {{name}}')}&send_at=${encodeURIComponent(sendAt)}`,
      csvText,
    ).expect(202);
    expect(res.body.data).toMatchObject({ total: 50, job_status: 'scheduled' });
    const bulk = await sendBulk(t, user.apiToken, {
      recipients: people,
      content: 'Hi {{name}}',
      send_at: sendAt,
    }).expect(202);
    const a = await stored(res.body.data.id);
    const b = await stored(bulk.body.data.id);
    expect(a).toEqual(b);
    expect(a.recipients.every((r: { status: string }) => r.status === 'held')).toBe(true);
    expect(await laneLoads()).toEqual(loads);
  });

  it("stores values with tabs, line breaks and backslashes exactly; a text equal to the job's is not repeated", async () => {
    const res = await upload(
      `content=${encodeURIComponent('{{a}}|{{b}}')}`,
      'phone,a,b\n+85291000020,"tab\there","line\nbreak \\N \\ end"\n+85291000021,x,y\n',
    ).expect(202);
    const { recipients } = await stored(res.body.data.id);
    expect(recipients.map((r: { content: string }) => r.content)).toEqual([
      'tab\there|line\nbreak \\N \\ end',
      'x|y',
    ]);
    const plain = await upload('content=Hello', 'phone\n+85291000022\n+85291000023\n').expect(202);
    const p = await stored(plain.body.data.id);
    expect(
      p.recipients.map((r: { content: null; segments: null }) => [r.content, r.segments]),
    ).toEqual([
      [null, null],
      [null, null],
    ]);
    expect(p.job).toMatchObject({ personalised: true, total_segments: 2, content: 'Hello' });
  });

  it('treats a control character in a rendered text as an invalid row, as single sends do', async () => {
    const body = 'phone,name\n+85291000030,A\n+85291000031,"B\u0007"\n';
    const bad = await upload(`content=${encodeURIComponent('Hi {{name}}')}`, body).expect(400);
    expect(bad.body.error.details).toEqual([
      expect.objectContaining({ row: 3, message: 'content contains a control character' }),
    ]);
    const ok = await upload(`content=${encodeURIComponent('Hi {{name}}')}&skip_invalid=true`, body);
    expect(ok.status).toBe(202);
    expect(ok.body.data).toMatchObject({ total: 1, report: { valid: 1, invalid: 1 } });
  });

  it('leaves nothing when the last of thousands of rows is invalid (no skip_invalid)', async () => {
    const rows = hkMobiles(4_000, 4_000_000).map((p) => `${p},N`);
    const before = await countRows(t);
    const loads = await laneLoads();
    const res = await upload(
      `content=${encodeURIComponent('Hi {{name}}')}`,
      `phone,name\n${rows.join('\n')}\n+852,N\n`,
    ).expect(400);
    expect(res.body.error.details).toEqual([
      expect.objectContaining({ row: 4_002, column: 'phone' }),
    ]);
    expect(await countRows(t)).toEqual(before);
    expect(await laneLoads()).toEqual(loads);
  });

  it.each([
    ['a data row', Buffer.from('phone,name\n+85291000040,A\n+85291000041,B\xff\n', 'latin1'), 3],
    ['the header', Buffer.from('phone,n\xe9\n+85291000040,A\n', 'latin1'), 1],
    [
      'a character cut at the end',
      Buffer.concat([Buffer.from('phone,name\n+85291000040,'), Buffer.from([0xe2, 0x82])]),
      2,
    ],
  ])(
    'answers 400 naming the row for invalid UTF-8 in %s, dry run or not; nothing stored',
    async (_, body, row) => {
      const before = await countRows(t);
      for (const query of ['content=Hi&dry_run=true', 'content=Hi']) {
        const res = await upload(query, body).expect(400);
        expect(res.body.error).toMatchObject({
          code: 'VALIDATION_ERROR',
          message: `The CSV body is not valid UTF-8 (row ${row})`,
          details: [{ field: 'body', row, message: `row ${row} is not valid UTF-8` }],
        });
      }
      expect(await countRows(t)).toEqual(before);
    },
  );

  it('refuses a record larger than 64 KiB with 400, nothing queued', async () => {
    const before = await countRows(t);
    const res = await upload('content=Hi', `phone,name\n+85291000050,${'x'.repeat(70_000)}\n`);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/Unreadable CSV/);
    expect(await countRows(t)).toEqual(before);
  });

  /** Uploads of the user's with their COPY under way. */
  const copying = async () =>
    (
      await t.db.dataSource.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND query LIKE 'COPY recipients%'`,
      )
    )[0].n;

  /** Waits (up to 5 s) until `copying()` answers `n`. */
  async function untilCopying(n: number): Promise<void> {
    for (let i = 0; i < 100 && (await copying()) !== n; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(await copying()).toBe(n);
  }

  /** An upload whose body is sent in parts, over a socket of its own. */
  async function streamedUpload(query: string) {
    const server = t.app.getHttpServer();
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, resolve));
    const { port } = server.address() as AddressInfo;
    const req = httpRequest({
      port,
      method: 'POST',
      path: `/api/sms/send-csv?${query}`,
      headers: { authorization: `Bearer ${user.apiToken}`, 'content-type': 'text/csv' },
    });
    const answer = new Promise<{ status: number; body: { data: { id: number } } }>(
      (resolve, reject) => {
        req.on('error', reject);
        req.on('response', (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        });
      },
    );
    answer.catch(() => undefined);
    return { req, answer };
  }

  it('rolls everything back when the client goes away mid-upload, and takes the next upload', async () => {
    const before = await countRows(t);
    const loads = await laneLoads();
    const { req } = await streamedUpload(`content=${encodeURIComponent('Hi {{name}}')}`);
    req.write(
      `phone,name\n${hkMobiles(3_000, 5_000_000)
        .map((p) => `${p},N`)
        .join('\n')}\n`,
    );
    // The upload's COPY is under way, then the connection drops before the body's end.
    await untilCopying(1);
    await new Promise((r) => setTimeout(r, 300));
    req.destroy();
    await untilCopying(0);
    expect(await countRows(t)).toEqual(before);
    expect(await laneLoads()).toEqual(loads);
    const next = await upload('content=Hi', 'phone\n+85291000060\n').expect(202);
    expect(next.body.data.total).toBe(1);
  });

  it('joins the lane at its commit: a job the user queued while it streamed goes first, as with send-bulk', async () => {
    const tags = async (id: number) =>
      (
        await t.db.dataSource.query(
          `SELECT min(vtag) AS first, max(vtag) AS last FROM recipients WHERE message_id = $1`,
          [id],
        )
      )[0];
    const people = hkMobiles(2_000, 7_000_000);
    const { req, answer } = await streamedUpload(`content=${encodeURIComponent('Hi {{name}}')}`);
    req.write(
      `phone,name\n${people
        .slice(0, 1_000)
        .map((p) => `${p},A`)
        .join('\n')}\n`,
    );
    await untilCopying(1);
    // Queued meanwhile: its SMS take the lane's next tags; the upload's rows were tagged
    // from where the lane stood before, so they are tagged again at commit.
    const other = await sendBulk(t, user.apiToken, {
      recipients: hkMobiles(10, 7_100_000),
      content: 'meanwhile',
    }).expect(202);
    req.end(
      `${people
        .slice(1_000)
        .map((p) => `${p},B`)
        .join('\n')}\n`,
    );
    const res = await answer;
    expect(res.status).toBe(202);
    const o = await tags(other.body.data.id);
    const u = await tags(res.body.data.id);
    // One step (weight 1, one SMS) after the other job's last, and 1 999 steps long.
    expect(Number(u.first)).toBe(Number(o.last) + 1);
    expect(Number(u.last)).toBe(Number(u.first) + 1_999);
    const a = await stored(res.body.data.id);
    const bulk = await sendBulk(t, user.apiToken, {
      recipients: people.map((phone, i) => ({ phone, vars: { name: i < 1_000 ? 'A' : 'B' } })),
      content: 'Hi {{name}}',
    }).expect(202);
    expect(a).toEqual(await stored(bulk.body.data.id));
  });

  it('stores at most SMS_MAX_CONCURRENT_UPLOADS uploads at once: one more is 429 with Retry-After, dry runs still answered', async () => {
    const head = (from: number) =>
      `phone,name\n${hkMobiles(500, from)
        .map((p) => `${p},N`)
        .join('\n')}\n`;
    const first = await streamedUpload(`content=${encodeURIComponent('Hi {{name}}')}`);
    first.req.write(head(8_000_000));
    await untilCopying(1);
    const second = await streamedUpload(`content=${encodeURIComponent('Hi {{name}}')}`);
    second.req.write(head(8_100_000));
    await untilCopying(2);
    const before = await countRows(t);

    const refused = await upload('content=Hi', 'phone\n+85291000070\n').expect(429);
    expect(refused.body.error.code).toBe('RATE_LIMITED');
    expect(refused.headers['retry-after']).toBe('5');
    await upload('content=Hi&dry_run=true', 'phone\n+85291000070\n').expect(200);
    expect(await countRows(t)).toEqual(before);

    first.req.end();
    second.req.end();
    expect((await first.answer).status).toBe(202);
    expect((await second.answer).status).toBe(202);
    // Both slots free again once answered.
    await upload('content=Hi', 'phone\n+85291000070\n').expect(202);
    await upload('content=Hi', 'phone\n+85291000071\n').expect(202);
  });
});
