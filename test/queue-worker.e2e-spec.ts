import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { FakeGateway } from './support/fake-gateway.js';
import { bearer, createUser, TestUser } from './fixtures/users.js';
import { eventually } from './fixtures/waiting.js';
import { createTestApp, TestApp } from './support/test-app.js';

/** The sending path end to end: HTTP in, the hkt gateway over real HTTP out. */
describe('Queue worker with the hkt gateway (e2e)', () => {
  let gw: FakeGateway;
  let t: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    gw = await FakeGateway.start();
    t = await createTestApp(
      {
        SMS_PROVIDER: 'hkt',
        SMS_BASE_URL: gw.url,
        SMS_APPLICATION_ID: 'app-123',
        SMS_SENDER_NUMBER: '85230000000',
        SMS_RATE_PER_SEC: '100',
        SMS_BURST_CAPACITY: '10',
        SMS_RETRY_BASE_MS: '20',
        SMS_RETRY_MAX_MS: '100',
        QUEUE_POLL_MS: '200',
        QUEUE_LEASE_MS: '2000',
        SMS_REQUEST_TIMEOUT_MS: '2000',
      },
      'worker',
    );
    user = await createUser(t, { canSendUrgent: true });
  });
  afterAll(async () => {
    await t.close();
    await gw.stop();
  });
  beforeEach(() => gw.reset());

  const bulk = (recipients: string[], extra: Record<string, unknown> = {}) =>
    t
      .http()
      .post('/api/sms/send-bulk')
      .set(bearer(user.apiToken))
      .send({ recipients, content: 'Hello from smspanel', ...extra });
  const detail = async (id: number) =>
    (await t.http().get(`/api/sms/${id}`).set(bearer(user.apiToken))).body.data;
  const recipients = async (id: number) =>
    (await t.http().get(`/api/sms/${id}/recipients`).set(bearer(user.apiToken))).body.data
      .recipients;
  const finished = (id: number) =>
    eventually(async () => {
      const d = await detail(id);
      return d.completed_at ? d : null;
    });

  it('sends a bulk job once per recipient with the hkt form fields; pending → sending → completed', async () => {
    const phones = ['+85291230001', '+85291230002', '+85291230003', '+85291230004', '+85291230005'];
    gw.setDefault({ status: 200, body: 'OK', delayMs: 300 });
    const res = await bulk(phones).expect(202);
    expect(res.body.data.job_status).toBe('pending');
    const seen = new Set<string>([res.body.data.job_status]);
    const done = await eventually(async () => {
      const d = await detail(res.body.data.id);
      seen.add(d.job_status);
      return d.completed_at ? d : null;
    });
    gw.setDefault({ status: 200, body: 'OK' });
    expect([...seen]).toEqual(['pending', 'sending', 'completed']);
    expect(done).toMatchObject({
      status: 'sent',
      success_count: 5,
      failed_count: 0,
      pending_count: 0,
      progress_percent: 100,
    });
    expect(gw.requests.map((r) => r.to).sort()).toEqual(phones);
    expect(gw.requests[0].fields).toEqual({
      application: 'app-123',
      mrt: gw.requests[0].to.slice(1),
      sender: '85230000000',
      msg_utf8: 'Hello from smspanel',
    });
  });

  it('retries transient failures: 500, 500, 200 ends sent after 3 attempts', async () => {
    gw.script('+85291230010', [
      { status: 500, body: 'oops' },
      { status: 500, body: 'oops' },
      { status: 200, body: 'OK' },
    ]);
    const res = await bulk(['+85291230010']).expect(202);
    const d = await finished(res.body.data.id);
    expect(d).toMatchObject({ job_status: 'completed', success_count: 1, failed_count: 0 });
    const [r] = await recipients(res.body.data.id);
    expect(r).toMatchObject({ status: 'sent', attempts: 3 });
    expect(gw.countFor('+85291230010')).toBe(3);
  });

  it('fails a permanent error at once and keeps the answer', async () => {
    gw.script('+85291230020', [{ status: 400, body: 'invalid destination' }]);
    const res = await bulk(['+85291230020']).expect(202);
    const d = await finished(res.body.data.id);
    expect(d).toMatchObject({
      job_status: 'failed',
      status: 'failed',
      success_count: 0,
      failed_count: 1,
    });
    const [r] = await recipients(res.body.data.id);
    expect(r).toMatchObject({
      status: 'failed',
      attempts: 1,
      error_message: 'HTTP 400: invalid destination',
    });
    expect(gw.countFor('+85291230020')).toBe(1);
  });

  it('gives up after SMS_MAX_ATTEMPTS transient failures', async () => {
    gw.script('+85291230030', [{ status: 503 }, { status: 503 }, { status: 503 }, { status: 200 }]);
    const res = await bulk(['+85291230030']).expect(202);
    const d = await finished(res.body.data.id);
    expect(d.job_status).toBe('failed');
    const [r] = await recipients(res.body.data.id);
    expect(r).toMatchObject({ status: 'failed', attempts: 3 });
    expect(r.error_message).toMatch(/^HTTP 503/);
    expect(gw.countFor('+85291230030')).toBe(3);
  });

  it('ends partial on a mix, with counts that add up', async () => {
    gw.script('+85291230041', [{ status: 400, body: 'no' }]);
    gw.script('+85291230042', [{ status: 500 }, { status: 200 }]);
    const res = await bulk(['+85291230040', '+85291230041', '+85291230042', '+85291230043']).expect(
      202,
    );
    const d = await finished(res.body.data.id);
    expect(d).toMatchObject({
      job_status: 'partial',
      status: 'partial',
      success_count: 3,
      failed_count: 1,
      pending_count: 0,
    });
    expect(d.success_count + d.failed_count + d.cancelled_count + d.pending_count).toBe(
      d.recipient_count,
    );
    const [row] = await t.db.dataSource.query(
      `SELECT count(*) FILTER (WHERE status = 'sent')::int AS sent, count(*) FILTER (WHERE status = 'failed')::int AS failed
       FROM recipients WHERE message_id = $1`,
      [res.body.data.id],
    );
    expect(row).toEqual({ sent: 3, failed: 1 });
  });

  it('takes back work whose lease expired (its process died) and sends it', async () => {
    const res = await t
      .http()
      .post('/api/sms')
      .set(bearer(user.apiToken))
      .send({ recipient: '+85291230050', content: 'x' });
    const id = res.body.data.id;
    await finished(id);
    gw.reset();
    // Simulate a worker that claimed a recipient and died: leased, expired, never recorded.
    await t.db.dataSource.query(
      `UPDATE recipients SET status = 'sending', lease_owner = 'dead-worker', lease_expires_at = now() - interval '1 second'
       WHERE message_id = $1`,
      [id],
    );
    await t.db.dataSource.query(
      `UPDATE messages SET job_status = 'sending', sent_count = 0, completed_at = NULL WHERE id = $1`,
      [id],
    );
    await gw.waitForRequests(1, 20000);
    const d = await finished(id);
    expect(d).toMatchObject({ job_status: 'completed', success_count: 1 });
  });

  it('serves an adhoc job before a bulk job that is already sending', async () => {
    await t.db.dataSource.query(
      `UPDATE rate_limit_buckets SET msgs_per_sec = 10, burst_capacity = 1, tokens = 0`,
    );
    try {
      const phones = Array.from(
        { length: 30 },
        (_, i) => `+852912311${String(i).padStart(2, '0')}`,
      );
      const big = await bulk(phones).expect(202);
      await gw.waitForRequests(3);
      const adhoc = await bulk(['+85291239999'], { adhoc: true }).expect(202);
      expect(adhoc.body.data.queue_position).toBe(1);
      const before = gw.requests.length;
      await eventually(async () => gw.countFor('+85291239999') === 1);
      const at = gw.requests.findIndex((r) => r.to === '+85291239999');
      // Only SMS the worker had already claimed (one batch, at most QUEUE_CONCURRENCY) may
      // come first.
      expect(at - before).toBeLessThanOrEqual(t.config.queueConcurrency);
      expect(gw.requests.length).toBeLessThan(phones.length);
      await t.db.dataSource.query(
        `UPDATE rate_limit_buckets SET msgs_per_sec = 100, burst_capacity = 10`,
      );
      await finished(big.body.data.id);
    } finally {
      await t.db.dataSource.query(
        `UPDATE rate_limit_buckets SET msgs_per_sec = 100, burst_capacity = 10`,
      );
    }
  });
});
