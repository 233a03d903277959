import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeGateway } from '../bench/lib/fake-gateway.js';
import { hkMobiles, sendBulk } from './fixtures/messages.js';
import { adminSession, bearer } from './fixtures/users.js';
import { eventually } from './fixtures/waiting.js';
import { createTestApp, TestApp } from './utils/test-app.js';

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

  it('holds one batch ahead while the gateway is busy, without exceeding the concurrency', async () => {
    const job = (
      await sendBulk(t, admin, { recipients: hkMobiles(24, 900), content: 'ahead' }).expect(202)
    ).body.data;
    // Each batch waits 150 ms at the gateway: long enough to find the one claimed behind it.
    let mostLeased = 0;
    const done = await eventually(async () => {
      mostLeased = Math.max(mostLeased, await sending());
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
});
