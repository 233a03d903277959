import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeGateway } from './support/fake-gateway.js';
import { worstWindow } from './support/rate-check.js';
import { hkMobiles, sendBulk } from './fixtures/messages.js';
import { adminSession, bearer } from './fixtures/users.js';
import { eventually } from './fixtures/waiting.js';
import { createTestCluster, TestApp, TestCluster } from './support/test-app.js';

/**
 * Here three apps share one event loop with the test itself, so a request can leave tens of
 * milliseconds after its token; the bound is checked with that much slack. bench/cluster
 * checks it with real processes and 5 ms.
 */
const JITTER_SLACK_MS = 100;

/**
 * One API process and two worker processes (three Nest apps, three connection pools) on one
 * database: one queue, one bucket, one pause switch.
 */
describe('Cluster: API + two workers on one database (e2e)', () => {
  let gw: FakeGateway;
  let cluster: TestCluster;
  let api: TestApp;
  let workers: TestApp[];
  let admin: string;
  const env = () => ({
    SMS_PROVIDER: 'http',
    SMS_BASE_URL: gw.url,
    SMS_RATE_PER_SEC: '10',
    SMS_BURST_CAPACITY: '2',
    QUEUE_POLL_MS: '200',
    QUEUE_LEASE_MS: '2000',
  });

  beforeAll(async () => {
    gw = await FakeGateway.start({ defaultAnswer: { status: 200, body: 'OK', delayMs: 20 } });
    cluster = await createTestCluster(env, 'cluster');
    ({ api, workers } = cluster);
    admin = await adminSession(api);
  });
  afterAll(async () => {
    await cluster.close();
    await gw.stop();
  });

  const status = async () => (await api.http().get('/api/queue/status').expect(200)).body.data;

  it('counts live workers; a worker process serves only probes and metrics over HTTP', async () => {
    expect((await status()).workers).toBe(2);
    const w = workers[0];
    await w.http().get('/api/health/live').expect(200);
    await w.http().get('/metrics').expect(200);
    const res = await w.http().get('/api/queue/status').expect(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    await w.http().post('/api/auth/login').send({ username: 'x', password: 'y' }).expect(404);
    await w.http().get('/docs-json').expect(404);
  });

  it('shares one queue and one bucket: every SMS once, the rate bound holds across processes', async () => {
    const job = (
      await sendBulk(api, admin, { recipients: hkMobiles(30, 500), content: 'cluster' }).expect(202)
    ).body.data;
    await gw.waitForRequests(30, 20000);
    const done = await eventually(async () => {
      const d = (await api.http().get(`/api/sms/${job.id}`).set(bearer(admin))).body.data;
      return d.completed_at ? d : null;
    });
    expect(done).toMatchObject({ job_status: 'completed', success_count: 30 });
    expect(new Set(gw.requests.map((r) => r.to)).size).toBe(30);
    expect(gw.requests).toHaveLength(30);
    const check = worstWindow(
      gw.requests.map((r) => r.at),
      10,
      2,
      JITTER_SLACK_MS,
    );
    expect(check.holds).toBe(true);
  });

  it('follows a rate change made through the API in every process within a second', async () => {
    gw.reset();
    await api
      .http()
      .put('/api/admin/rate-limit')
      .set(bearer(admin))
      .send({ msgs_per_sec: 2, burst_capacity: 1 })
      .expect(200);
    // Enough SMS that the new rate keeps sending for well over a second after the change, however
    // quickly the change propagates: 97 SMS at 40/s take ~2.4 s.
    const job = (
      await sendBulk(api, admin, {
        recipients: hkMobiles(100, 600),
        content: 'slow then fast',
      }).expect(202)
    ).body.data;
    await gw.waitForRequests(3, 10000);
    const changedAt = performance.timeOrigin + performance.now();
    await api
      .http()
      .put('/api/admin/rate-limit')
      .set(bearer(admin))
      .send({ msgs_per_sec: 40, burst_capacity: 4 })
      .expect(200);
    await gw.waitForRequests(100, 20000);
    // From one second after the change, the arrivals run at the new rate (with slack).
    const after = gw.requests.map((r) => r.at).filter((at) => at > changedAt + 1000);
    expect(after.length).toBeGreaterThan(30);
    const perSec = (after.length - 1) / ((after[after.length - 1] - after[0]) / 1000);
    expect(perSec).toBeGreaterThan(15);
    expect(worstWindow(after, 40, 4, JITTER_SLACK_MS).holds).toBe(true);
    await eventually(
      async () =>
        (await api.http().get(`/api/sms/${job.id}`).set(bearer(admin))).body.data.completed_at,
    );
  });

  it('pausing through the API stops every worker; a stopped worker leaves the count', async () => {
    await api.http().post('/api/admin/queue/pause').set(bearer(admin)).expect(200);
    gw.reset();
    await sendBulk(api, admin, { recipients: hkMobiles(5, 700), content: 'paused' }).expect(202);
    await new Promise((r) => setTimeout(r, 500));
    expect(gw.requests).toHaveLength(0);
    await api.http().post('/api/admin/queue/resume').set(bearer(admin)).expect(200);
    await gw.waitForRequests(5, 10000);

    await workers[1].close();
    expect((await status()).workers).toBe(1);
  });
});
