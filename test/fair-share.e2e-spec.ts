import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { hkMobiles, sendBulk } from './fixtures/messages.js';
import { adminSession, bearer, createUser, TestUser } from './fixtures/users.js';
import { eventually } from './fixtures/waiting.js';
import { FakeGateway } from './support/fake-gateway.js';
import { createTestApp, TestApp } from './support/test-app.js';

/**
 * FAIRNESS.md, judged at the gateway: two users with bulks waiting in the normal lane share
 * the rate by weight (1 : 3), whoever queued first; estimates made before sending follow the
 * same water-filling; an urgent job goes before both.
 */
const RATE = 20;
const BURST = 2;
const N = 40;

describe('Fair share between users by weight (e2e)', () => {
  let gw: FakeGateway;
  let t: TestApp;
  let admin: string;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    gw = await FakeGateway.start();
    t = await createTestApp(
      {
        SMS_PROVIDER: 'http',
        SMS_BASE_URL: gw.url,
        SMS_RATE_PER_SEC: String(RATE),
        SMS_BURST_CAPACITY: String(BURST),
        QUEUE_POLL_MS: '200',
      },
      'fairshare',
    );
    admin = await adminSession(t);
    alice = await createUser(t, { username: 'alice', weight: 1 });
    bob = await createUser(t, { username: 'bob', weight: 3 });
  });
  afterAll(async () => {
    await t.close();
    await gw.stop();
  });

  const detail = async (token: string, id: number) =>
    (await t.http().get(`/api/sms/${id}`).set(bearer(token)).expect(200)).body.data;

  it('shares the lane 1 : 3 while both wait, and estimates by the same rule', async () => {
    await t.http().post('/api/admin/queue/pause').set(bearer(admin)).expect(200);
    // Alice queues first: without fair share, all her SMS would go before Bob's.
    const a = (await sendBulk(t, alice.apiToken, { recipients: hkMobiles(N, 0), content: 'a' }))
      .body.data;
    const b = (await sendBulk(t, bob.apiToken, { recipients: hkMobiles(N, 500), content: 'b' }))
      .body.data;

    // Bob's 40 go while Alice's first 40/3 do: 53.3 tokens, two of them in hand.
    // Each estimate is timed from when its read began.
    const readA = Date.now();
    const da = await detail(alice.apiToken, a.id);
    const readB = Date.now();
    const db = await detail(bob.apiToken, b.id);
    const inSeconds = (iso: string, from: number) => (Date.parse(iso) - from) / 1000;
    expect(inSeconds(db.estimated_complete_at, readB)).toBeCloseTo((N + N / 3 - BURST) / RATE, 0);
    expect(inSeconds(da.estimated_complete_at, readA)).toBeCloseTo((2 * N - BURST) / RATE, 0);
    expect(da.queue_position).toBe(1);
    expect(db.queue_position).toBe(2);
    const status = (await t.http().get('/api/queue/status').set(bearer(bob.apiToken))).body.data;
    expect(status.user.share).toBeCloseTo(0.75, 3);
    expect(status.active_users).toBe(2);
    expect(status.lanes).toEqual({ urgent: { queue_depth: 0 }, normal: { queue_depth: 2 * N } });
    // Both start about now: Bob at once, Alice after 3 of Bob's.
    expect(inSeconds(db.estimated_start_at, readB)).toBeCloseTo(0, 0);
    expect(inSeconds(da.estimated_start_at, readA)).toBeCloseTo((1 + 3 - BURST) / RATE, 0);

    await t.http().post('/api/admin/queue/resume').set(bearer(admin)).expect(200);
    await gw.waitForRequests(2 * N, 30000);
    const isBob = (to: string) => hkMobiles(N, 500).includes(to);
    // While both had SMS waiting: up to Bob's last arrival.
    const lastBob = gw.requests.findLastIndex((r) => isBob(r.to));
    const window = gw.requests.slice(0, lastBob + 1);
    const bobs = window.filter((r) => isBob(r.to)).length;
    const alices = window.length - bobs;
    expect(bobs).toBe(N);
    // FAIRNESS.md precision: within 2 SMS + 2 % of the window's total of the weights' split.
    expect(Math.abs(alices - window.length / 4)).toBeLessThanOrEqual(2 + 0.02 * window.length);
    await eventually(async () => (await detail(alice.apiToken, a.id)).completed_at);
    expect(gw.requests).toHaveLength(2 * N);
  });

  it('an urgent job goes before both lanes’ waiting users', async () => {
    gw.reset();
    await t.http().post('/api/admin/queue/pause').set(bearer(admin)).expect(200);
    await sendBulk(t, alice.apiToken, { recipients: hkMobiles(10, 1000), content: 'n' });
    await sendBulk(t, bob.apiToken, { recipients: hkMobiles(10, 1100), content: 'n' });
    const u = (
      await sendBulk(t, admin, { recipients: hkMobiles(3, 1200), content: 'u', adhoc: true })
    ).body.data;
    expect((await detail(admin, u.id)).queue_position).toBe(1);
    const lanes = (await t.http().get('/api/queue/status')).body.data.lanes;
    expect(lanes).toEqual({ urgent: { queue_depth: 3 }, normal: { queue_depth: 20 } });
    await t.http().post('/api/admin/queue/resume').set(bearer(admin)).expect(200);
    await gw.waitForRequests(23, 30000);
    expect(
      gw.requests
        .slice(0, 3)
        .map((r) => r.to)
        .sort(),
    ).toEqual(hkMobiles(3, 1200));
  });
});
