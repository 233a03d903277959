import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { FakeGateway } from './support/fake-gateway.js';
import { countRows, hkMobiles, sendBulk, sendOne } from './fixtures/messages.js';
import { adminSession, bearer, createUser, TestUser } from './fixtures/users.js';
import { eventually } from './fixtures/waiting.js';
import { createTestApp, TestApp } from './support/test-app.js';

describe('Job control, admin views and idempotency (e2e)', () => {
  let gw: FakeGateway;
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let admin: string;

  beforeAll(async () => {
    gw = await FakeGateway.start();
    t = await createTestApp(
      {
        SMS_PROVIDER: 'http',
        SMS_BASE_URL: gw.url,
        SMS_RATE_PER_SEC: '200',
        SMS_BURST_CAPACITY: '20',
        QUEUE_POLL_MS: '200',
      },
      'jobctl',
    );
    alice = await createUser(t, { username: 'alice_jc' });
    bob = await createUser(t, { username: 'bob_jc' });
    admin = await adminSession(t);
  });
  afterAll(async () => {
    await t.http().post('/api/admin/queue/resume').set(bearer(admin));
    await t.close();
    await gw.stop();
  });
  beforeEach(() => gw.reset());

  const detail = async (token: string, id: number) =>
    (await t.http().get(`/api/sms/${id}`).set(bearer(token)).expect(200)).body.data;
  const finished = (token: string, id: number) =>
    eventually(async () => {
      const d = await detail(token, id);
      return d.completed_at ? d : null;
    });
  const pause = () => t.http().post('/api/admin/queue/pause').set(bearer(admin)).expect(200);
  const resume = () => t.http().post('/api/admin/queue/resume').set(bearer(admin)).expect(200);

  describe('cancel', () => {
    it('cancels every waiting recipient of a pending job; a second cancel is a 409', async () => {
      await pause();
      const job = (
        await sendBulk(t, alice.apiToken, { recipients: hkMobiles(5, 100), content: 'c' })
      ).body.data;
      const res = await t
        .http()
        .post(`/api/sms/${job.id}/cancel`)
        .set(bearer(alice.apiToken))
        .expect(200);
      expect(res.body.data).toMatchObject({
        job_status: 'cancelled',
        status: 'cancelled',
        cancelled_count: 5,
        pending_count: 0,
        queue_position: null,
        estimated_complete_at: null,
      });
      const again = await t
        .http()
        .post(`/api/sms/${job.id}/cancel`)
        .set(bearer(alice.apiToken))
        .expect(409);
      expect(again.body.error.code).toBe('CONFLICT');
      await resume();
      await new Promise((r) => setTimeout(r, 300));
      expect(gw.requests).toHaveLength(0);
    });

    it('lets in-flight SMS finish, then ends the job cancelled with counts that add up', async () => {
      gw.setDefault({ status: 200, body: 'OK', delayMs: 400 });
      await t.db.dataSource.query(
        `UPDATE rate_limit_buckets SET msgs_per_sec = 5, burst_capacity = 2`,
      );
      try {
        const job = (
          await sendBulk(t, alice.apiToken, { recipients: hkMobiles(20, 200), content: 'c' })
        ).body.data;
        await gw.waitForRequests(1);
        const res = await t
          .http()
          .post(`/api/sms/${job.id}/cancel`)
          .set(bearer(alice.apiToken))
          .expect(200);
        expect(res.body.data.cancelled_count).toBeGreaterThan(10);
        const d = await finished(alice.apiToken, job.id);
        expect(d.job_status).toBe('cancelled');
        expect(d.success_count).toBe(gw.requests.length);
        expect(d.success_count + d.failed_count + d.cancelled_count).toBe(20);
      } finally {
        gw.setDefault({ status: 200, body: 'OK' });
        await t.db.dataSource.query(
          `UPDATE rate_limit_buckets SET msgs_per_sec = 200, burst_capacity = 20`,
        );
      }
    });

    it("hides another user's job (404) but lets an admin cancel it", async () => {
      await pause();
      const job = (await sendOne(t, alice.apiToken, { recipient: '+85291110000', content: 'c' }))
        .body.data;
      await t.http().post(`/api/sms/${job.id}/cancel`).set(bearer(bob.apiToken)).expect(404);
      await t.http().post(`/api/sms/${job.id}/retry`).set(bearer(bob.apiToken)).expect(404);
      await t.http().post(`/api/sms/${job.id}/cancel`).set(bearer(admin)).expect(200);
      await t.http().post('/api/sms/999999/cancel').set(bearer(admin)).expect(404);
      await resume();
    });
  });

  describe('retry and dead letters', () => {
    it('lists final failures with owner and requeues them on retry', async () => {
      gw.script('+85291120001', [{ status: 400, body: 'unknown subscriber' }]);
      const job = (
        await sendBulk(t, alice.apiToken, {
          recipients: ['+85291120000', '+85291120001'],
          content: 'r',
        })
      ).body.data;
      expect((await finished(alice.apiToken, job.id)).job_status).toBe('partial');

      const dead = await t.http().get('/api/admin/dead-letter').set(bearer(admin)).expect(200);
      const entry = dead.body.data.recipients.find(
        (r: { message_id: number }) => r.message_id === job.id,
      );
      expect(entry).toMatchObject({
        phone: '+85291120001',
        attempts: 1,
        error_message: 'HTTP 400: unknown subscriber',
        owner_username: 'alice_jc',
        owner_id: alice.id,
      });
      expect(Date.parse(entry.failed_at)).not.toBeNaN();

      await t.http().post(`/api/sms/${job.id}/retry`).set(bearer(bob.apiToken)).expect(404);
      const res = await t
        .http()
        .post(`/api/sms/${job.id}/retry`)
        .set(bearer(alice.apiToken))
        .expect(202);
      expect(res.body.data.failed_count).toBe(0);
      expect(res.body.data.completed_at).toBeNull();
      const d = await finished(alice.apiToken, job.id);
      expect(d).toMatchObject({ job_status: 'completed', success_count: 2, failed_count: 0 });
      expect(gw.countFor('+85291120001')).toBe(2);
      const after = await t
        .http()
        .get('/api/admin/dead-letter?per_page=100')
        .set(bearer(admin))
        .expect(200);
      expect(
        after.body.data.recipients.some((r: { message_id: number }) => r.message_id === job.id),
      ).toBe(false);
      await t.http().post(`/api/sms/${job.id}/retry`).set(bearer(alice.apiToken)).expect(409);
    });
  });

  describe('admin message listing', () => {
    it("shows every user's jobs with their owner and filters them", async () => {
      await pause();
      await sendOne(t, alice.apiToken, {
        recipient: '+85291130000',
        content: 'Sale: 50% off_today',
      });
      await sendOne(t, bob.apiToken, {
        recipient: '+85291130001',
        content: 'Sale: 50 percent off',
      });
      const all = await t
        .http()
        .get('/api/admin/messages?per_page=100')
        .set(bearer(admin))
        .expect(200);
      const owners = new Set(
        all.body.data.messages.map((m: { owner_username: string }) => m.owner_username),
      );
      expect(owners).toEqual(expect.objectContaining({}));
      expect([...owners]).toEqual(expect.arrayContaining(['alice_jc', 'bob_jc']));

      const mine = await t
        .http()
        .get(`/api/admin/messages?user_id=${bob.id}`)
        .set(bearer(admin))
        .expect(200);
      expect(mine.body.data.messages.every((m: { user_id: number }) => m.user_id === bob.id)).toBe(
        true,
      );
      // LIKE wildcards in the search text are literal characters.
      const q = await t
        .http()
        .get('/api/admin/messages')
        .query({ q: '50% off_' })
        .set(bearer(admin))
        .expect(200);
      expect(q.body.data.messages.map((m: { content: string }) => m.content)).toEqual([
        'Sale: 50% off_today',
      ]);
      const pending = await t
        .http()
        .get('/api/admin/messages?job_status=pending')
        .set(bearer(admin))
        .expect(200);
      expect(
        pending.body.data.messages.every((m: { job_status: string }) => m.job_status === 'pending'),
      ).toBe(true);
      await t.http().get('/api/admin/messages?user_id=abc').set(bearer(admin)).expect(400);
      await t.http().get('/api/admin/messages?job_status=nope').set(bearer(admin)).expect(400);
      await resume();
    });
  });

  describe('Idempotency-Key', () => {
    it('answers a repeated request with the first job and queues nothing new', async () => {
      await pause();
      const body = { recipients: hkMobiles(3, 300), content: 'once' };
      const first = await sendBulk(t, alice.apiToken, body)
        .set('Idempotency-Key', 'key-1')
        .expect(202);
      const rows = await countRows(t);
      const second = await sendBulk(t, alice.apiToken, body)
        .set('Idempotency-Key', 'key-1')
        .expect(202);
      expect(second.body.data.id).toBe(first.body.data.id);
      expect(second.body.data.total).toBe(3);
      expect(await countRows(t)).toEqual(rows);
      const other = await sendBulk(t, alice.apiToken, { ...body, content: 'changed' }).set(
        'Idempotency-Key',
        'key-1',
      );
      expect(other.status).toBe(409);
      expect(other.body.error.code).toBe('CONFLICT');
      // Keys belong to their user.
      const bobs = await sendBulk(t, bob.apiToken, body)
        .set('Idempotency-Key', 'key-1')
        .expect(202);
      expect(bobs.body.data.id).not.toBe(first.body.data.id);
      const single = await sendOne(t, alice.apiToken, { recipient: '+85291140000', content: 'x' })
        .set('Idempotency-Key', 'key-2')
        .expect(202);
      const replay = await sendOne(t, alice.apiToken, { recipient: '+852 9114 0000', content: 'x' })
        .set('Idempotency-Key', 'key-2')
        .expect(202);
      expect(replay.body.data).toMatchObject({
        id: single.body.data.id,
        recipient: '+85291140000',
      });
      await resume();
    });

    it('makes concurrent duplicates race safely to one job', async () => {
      await pause();
      const rows = await countRows(t);
      const body = { recipients: hkMobiles(4, 400), content: 'race' };
      const answers = await Promise.all(
        Array.from({ length: 6 }, () =>
          sendBulk(t, alice.apiToken, body).set('Idempotency-Key', 'race-key'),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202, 202]);
      expect(new Set(answers.map((a) => a.body.data.id)).size).toBe(1);
      expect(await countRows(t)).toEqual({
        messages: rows.messages + 1,
        recipients: rows.recipients + 4,
      });
      await resume();
    });

    it('rejects a malformed key with 400 and writes nothing', async () => {
      const rows = await countRows(t);
      for (const key of ['x'.repeat(201), 'tab\there', 'ünïcode']) {
        const res = await sendOne(t, alice.apiToken, {
          recipient: '+85291150000',
          content: 'x',
        }).set('Idempotency-Key', key);
        expect(res.status).toBe(400);
        expect(res.body.error.code).toBe('VALIDATION_ERROR');
      }
      expect(await countRows(t)).toEqual(rows);
    });
  });
});
