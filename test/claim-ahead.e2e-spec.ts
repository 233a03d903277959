import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeGateway } from './support/fake-gateway.js';
import { hkMobiles, sendBulk } from './fixtures/messages.js';
import { adminSession, bearer } from './fixtures/users.js';
import { eventually } from './fixtures/waiting.js';
import { createTestApp, TestApp } from './support/test-app.js';

const CONCURRENCY = 4;

/**
 * When neither the rate nor the lease limits the worker, it claims the next batch while the
 * current one is being sent: at most one batch ahead, and still never more than
 * QUEUE_CONCURRENCY requests open at the gateway.
 */
describe('Claiming the next batch ahead (e2e)', () => {
  let gw: FakeGateway;
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    gw = await FakeGateway.start({ defaultAnswer: { status: 200, body: 'OK', delayMs: 150 } });
    t = await createTestApp(
      {
        SMS_PROVIDER: 'http',
        SMS_BASE_URL: gw.url,
        SMS_RATE_PER_SEC: '1000',
        SMS_BURST_CAPACITY: '1000',
        QUEUE_CONCURRENCY: String(CONCURRENCY),
      },
      'claimahead',
    );
    admin = await adminSession(t);
  });
  afterAll(async () => {
    await t.close();
    await gw.stop();
  });

  const sending = async () =>
    (
      await t.db.dataSource.query(
        `SELECT count(*)::int AS n FROM recipients WHERE status = 'sending'`,
      )
    )[0].n as number;

  /*
   * Recipients the worker holds: leased and not yet answered by the gateway. A row the
   * gateway has answered stays 'sending' until its result is recorded, which lags on a busy
   * machine (10 such rows were once counted here with two test suites running side by side);
   * it is no longer held.
   */
  const held = async () => {
    const rows: { phone: string }[] = await t.db.dataSource.query(
      `SELECT phone FROM recipients WHERE status = 'sending'`,
    );
    const answered = new Set(gw.requests.filter((r) => r.answeredAt).map((r) => r.to));
    return rows.filter((r) => !answered.has(r.phone)).length;
  };

  it('holds one batch ahead while the gateway is busy, without exceeding the concurrency', async () => {
    const job = (
      await sendBulk(t, admin, { recipients: hkMobiles(24, 900), content: 'ahead' }).expect(202)
    ).body.data;
    // Each batch waits 150 ms at the gateway: long enough to find the one claimed behind it.
    let mostLeased = 0;
    const done = await eventually(async () => {
      mostLeased = Math.max(mostLeased, await held());
      const d = (await t.http().get(`/api/sms/${job.id}`).set(bearer(admin))).body.data;
      return d.completed_at ? d : null;
    });
    expect(done).toMatchObject({ job_status: 'completed', success_count: 24 });
    expect(mostLeased).toBeGreaterThan(CONCURRENCY);
    expect(mostLeased).toBeLessThanOrEqual(2 * CONCURRENCY);
    expect(gw.maxInFlight).toBe(CONCURRENCY);
    expect(new Set(gw.requests.map((r) => r.to)).size).toBe(24);
    expect(gw.requests).toHaveLength(24);
  });

  it('sends nothing it claimed ahead once the queue is paused; resume sends the rest', async () => {
    gw.reset();
    // Slow answers: a batch claimed ahead would go out when these finish, ~600 ms after the
    // pause, well apart from the few ms a pause takes to reach the worker.
    gw.setDefault({ status: 200, body: 'OK', delayMs: 600 });
    const job = (
      await sendBulk(t, admin, { recipients: hkMobiles(24, 950), content: 'paused ahead' }).expect(
        202,
      )
    ).body.data;
    // The first batch is at the gateway and the next one claimed behind it.
    await gw.waitForRequests(CONCURRENCY, 10000);
    await eventually(async () => (await sending()) > CONCURRENCY);
    await t.http().post('/api/admin/queue/pause').set(bearer(admin)).expect(200);
    const pausedAt = performance.timeOrigin + performance.now();
    const atPause = gw.requests.length;
    // Long enough for the batch claimed ahead to find free slots, had it been sent on.
    await new Promise((r) => setTimeout(r, 1500));
    // Requests the worker had already started may land within a NOTIFY's delay; none later.
    const late = gw.requests.filter((r) => r.at > pausedAt + 200);
    expect(late).toEqual([]);
    expect(gw.requests.length).toBeLessThan(24);
    expect(atPause).toBeLessThan(24);
    // The batch held back went back to the queue, not lost.
    expect(await sending()).toBe(0);

    await t.http().post('/api/admin/queue/resume').set(bearer(admin)).expect(200);
    const done = await eventually(async () => {
      const d = (await t.http().get(`/api/sms/${job.id}`).set(bearer(admin))).body.data;
      return d.completed_at ? d : null;
    });
    expect(done).toMatchObject({ job_status: 'completed', success_count: 24 });
    expect(new Set(gw.requests.map((r) => r.to)).size).toBe(24);
    expect(gw.requests).toHaveLength(24);
  });
});
