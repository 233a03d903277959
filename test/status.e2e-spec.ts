import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeGateway } from './support/fake-gateway.js';
import { adminSession, bearer, createUser, TestUser } from './fixtures/users.js';
import { eventually } from './fixtures/waiting.js';
import { parseMetrics } from './support/metrics-text.js';
import { createTestApp, TestApp } from './support/test-app.js';

const numbers = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `+852${prefix}${String(i).padStart(8 - prefix.length, '0')}`);

describe('Queue status, positions and metrics (e2e)', () => {
  let gw: FakeGateway;
  let t: TestApp;
  let alice: TestUser;
  let admin: string;

  beforeAll(async () => {
    gw = await FakeGateway.start();
    t = await createTestApp(
      {
        SMS_PROVIDER: 'http',
        SMS_BASE_URL: gw.url,
        SMS_RATE_PER_SEC: '20',
        SMS_BURST_CAPACITY: '1',
        QUEUE_POLL_MS: '200',
      },
      'status',
    );
    alice = await createUser(t);
    admin = await adminSession(t);
  });
  afterAll(async () => {
    await t.close();
    await gw.stop();
  });

  const status = (token?: string) => {
    const req = t.http().get('/api/queue/status');
    return (token ? req.set(bearer(token)) : req).expect(200).then((r) => r.body.data);
  };

  it('is public and adds the user section only with a valid token', async () => {
    const anon = await status();
    expect(anon).not.toHaveProperty('user');
    expect(anon).toMatchObject({ msgs_per_sec: 20, burst_capacity: 1, paused: false });
    expect(anon.workers).toBe(1);
    const withBad = await status('smsp_not-a-real-token');
    expect(withBad).not.toHaveProperty('user');
    const mine = await status(alice.apiToken);
    expect(mine.user).toEqual({
      pending_messages: 0,
      pending_recipients: 0,
      share: 0,
      next_estimated_complete_at: null,
    });
  });

  it('reports a paused backlog: depth in SMS, job counts, positions 1 and 2, user section', async () => {
    await t.http().post('/api/admin/queue/pause').set(bearer(admin)).expect(200);
    const a = await t
      .http()
      .post('/api/sms/send-bulk')
      .set(bearer(alice.apiToken))
      .send({ recipients: numbers('51', 10), content: 'A' })
      .expect(202);
    const b = await t
      .http()
      .post('/api/sms/send-bulk')
      .set(bearer(alice.apiToken))
      .send({ recipients: numbers('52', 10), content: 'B' })
      .expect(202);
    expect([a.body.data.queue_position, b.body.data.queue_position]).toEqual([1, 2]);
    const detailB = (await t.http().get(`/api/sms/${b.body.data.id}`).set(bearer(alice.apiToken)))
      .body.data;
    expect(detailB.queue_position).toBe(2);

    const s = await status(alice.apiToken);
    expect(s).toMatchObject({
      queue_depth: 20,
      pending_messages: 2,
      sending_messages: 0,
      paused: true,
    });
    expect(Date.parse(s.oldest_pending_at)).toBe(Date.parse(a.body.data.created_at));
    // 20 SMS at 20/s with the bucket's tokens in hand.
    expect(s.estimated_drain_seconds).toBeGreaterThanOrEqual(1);
    expect(s.estimated_drain_seconds).toBeLessThanOrEqual(2);
    expect(s.user.pending_messages).toBe(2);
    expect(s.user.pending_recipients).toBe(20);
    expect(Date.parse(s.user.next_estimated_complete_at)).toBeLessThanOrEqual(
      Date.parse(detailB.estimated_complete_at),
    );
    expect(gw.requests).toHaveLength(0);
  });

  it('drains after resume: depth falls step by step to 0, observed rate and metrics rise', async () => {
    const before = parseMetrics((await t.http().get('/metrics').expect(200)).text);
    const sentBefore = before.get('smspanel_sms_results_total{result="sent"}') ?? 0;
    await t.http().post('/api/admin/queue/resume').set(bearer(admin)).expect(200);
    const depths: number[] = [];
    await eventually(async () => {
      const s = await status();
      depths.push(s.queue_depth);
      return s.queue_depth === 0;
    }, 20000);
    expect(depths.some((d) => d > 0 && d < 20)).toBe(true);
    for (let i = 1; i < depths.length; i++) expect(depths[i]).toBeLessThanOrEqual(depths[i - 1]);
    expect(gw.requests).toHaveLength(20);

    const s = await status();
    expect(s.pending_messages + s.sending_messages).toBe(0);
    expect(s.observed_msgs_per_sec).toBeCloseTo(20 / 60, 2);

    const res = await t.http().get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const after = parseMetrics(res.text);
    expect(after.get('smspanel_sms_results_total{result="sent"}')).toBe(sentBefore + 20);
    expect(after.get('smspanel_queue_depth')).toBe(0);
    expect(after.get('smspanel_workers')).toBe(1);
    expect(
      after.get('smspanel_gateway_request_duration_seconds_count{gateway="http",outcome="sent"}'),
    ).toBe(20);
    expect(
      [...after.keys()].some(
        (k) =>
          k.startsWith('smspanel_http_request_duration_seconds_count{') &&
          k.includes('route="/api/sms/send-bulk"'),
      ),
    ).toBe(true);
  });

  it('lets an admin change the rate limit, validated', async () => {
    const res = await t
      .http()
      .put('/api/admin/rate-limit')
      .set(bearer(admin))
      .send({ msgs_per_sec: 0.5, burst_capacity: 3 })
      .expect(200);
    expect(res.body.data).toEqual({ msgs_per_sec: 0.5, burst_capacity: 3, rate_unit: 'request' });
    expect((await status()).msgs_per_sec).toBe(0.5);
    await t
      .http()
      .put('/api/admin/rate-limit')
      .set(bearer(admin))
      .send({ msgs_per_sec: -1, burst_capacity: 3 })
      .expect(400);
    await t
      .http()
      .put('/api/admin/rate-limit')
      .set(bearer(admin))
      .send({ msgs_per_sec: 1, burst_capacity: 1.5 })
      .expect(400);
    await t
      .http()
      .put('/api/admin/rate-limit')
      .set(bearer(alice.apiToken))
      .send({ msgs_per_sec: 1, burst_capacity: 1 })
      .expect(403);
    const got = await t.http().get('/api/admin/rate-limit').set(bearer(admin)).expect(200);
    expect(got.body.data).toEqual({ msgs_per_sec: 0.5, burst_capacity: 3, rate_unit: 'request' });
  });

  it('serves per-second throughput for charts, validated', async () => {
    const res = await t
      .http()
      .get('/api/queue/throughput?seconds=600')
      .set(bearer(alice.apiToken))
      .expect(200);
    const total = res.body.data.points.reduce(
      (n: number, p: { requests: number }) => n + p.requests,
      0,
    );
    expect(total).toBe(20);
    await t.http().get('/api/queue/throughput?seconds=abc').set(bearer(alice.apiToken)).expect(400);
    await t.http().get('/api/queue/throughput?seconds=0').set(bearer(alice.apiToken)).expect(400);
    await t.http().get('/api/queue/throughput').expect(401);
  });
});
