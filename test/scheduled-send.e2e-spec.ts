import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { FakeGateway } from './support/fake-gateway.js';
import { hkMobiles, sendBulk, sendOne } from './fixtures/messages.js';
import { bearer, createUser, type TestUser } from './fixtures/users.js';
import { eventually } from './fixtures/waiting.js';
import { createTestApp, createTestCluster, type TestApp } from './support/test-app.js';
import { createTestDatabase } from './support/test-database.js';

/**
 * SCHEDULING.md, "Scheduled send", over HTTP with the real application and a fake gateway:
 * `send_at` validation, the scheduled state in answers, listings and queue status, cancel,
 * and the release at send_at (first gateway arrival within 1 s after it on an idle queue),
 * with two worker processes and across a restart.
 */
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
/** The same instant written with a +08:00 offset. */
const hongKong = (ms: number) => `${new Date(ms + 8 * 3_600_000).toISOString().slice(0, 23)}+08:00`;
const wallNow = () => performance.timeOrigin + performance.now();
/**
 * A gateway arrival time (performance clock) on the Date.now() clock that send_at and the
 * app's Clock use: the two drift apart by some milliseconds over a process's life.
 */
const onDateClock = (at: number) => at + (Date.now() - wallNow());
/** The app sends to `gw` at `rate` SMS/s with a burst of as many. */
const gatewayEnv = (gw: FakeGateway, rate: number) => ({
  SMS_PROVIDER: 'http',
  SMS_BASE_URL: gw.url,
  SMS_RATE_PER_SEC: String(rate),
  SMS_BURST_CAPACITY: String(rate),
});

describe('Scheduled send (e2e)', () => {
  let gw: FakeGateway;
  let t: TestApp;
  let user: TestUser;
  const env = () => gatewayEnv(gw, 2);

  beforeAll(async () => {
    gw = await FakeGateway.start();
    t = await createTestApp(env(), 'schedsend');
    user = await createUser(t);
  });
  afterAll(async () => {
    await t.close();
    await gw.stop();
  });
  beforeEach(() => gw.reset());

  const detail = async (id: number) =>
    (await t.http().get(`/api/sms/${id}`).set(bearer(user.apiToken)).expect(200)).body.data;
  const queueStatus = async () =>
    (await t.http().get('/api/queue/status').set(bearer(user.apiToken)).expect(200)).body.data;

  it.each([
    ['no offset', '2030-01-01T10:00:00'],
    ['a date only', '2030-01-01'],
    ['not a date', 'tomorrow'],
    ['an impossible date', '2030-02-30T10:00:00Z'],
    ['a number', 1893456000000],
    ['null', null],
  ])('send_at as %s → 400 VALIDATION_ERROR naming send_at, nothing queued', async (_, sendAt) => {
    for (const res of [
      await sendOne(t, user.apiToken, { recipient: '+85291234567', content: 'x', send_at: sendAt }),
      await sendBulk(t, user.apiToken, { recipients: hkMobiles(2), content: 'x', send_at: sendAt }),
    ]) {
      expect(res.status).toBe(400);
      expect(res.body.success).toBe(false);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(JSON.stringify(res.body.error.details)).toContain('send_at');
    }
    expect((await queueStatus()).scheduled_messages).toBe(0);
  });

  it('send_at more than 90 days ahead → 400; 89 days ahead is accepted', async () => {
    const far = await sendOne(t, user.apiToken, {
      recipient: '+85291234567',
      content: 'x',
      send_at: iso(Date.now() + 90 * DAY + 60_000),
    }).expect(400);
    expect(far.body.error).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: [{ field: 'send_at' }],
    });
    const ok = await sendOne(t, user.apiToken, {
      recipient: '+85291234567',
      content: 'x',
      send_at: iso(Date.now() + 89 * DAY),
    }).expect(202);
    expect(ok.body.data.job_status).toBe('scheduled');
    await t
      .http()
      .post(`/api/sms/${ok.body.data.id}/cancel`)
      .set(bearer(user.apiToken))
      .expect(200);
  });

  it('send_at in the past: sent as usual, the answer shows it', async () => {
    const past = Date.now() - 3_600_000;
    const res = await sendOne(t, user.apiToken, {
      recipient: '+85291230001',
      content: 'late',
      send_at: hongKong(past),
    }).expect(202);
    expect(res.body.data).toMatchObject({ job_status: 'pending', send_at: iso(past) });
    await gw.waitForRequests(1);
    expect(gw.requests[0].to).toBe('+85291230001');
  });

  it('scheduled: answers, listing, counts and estimates; cancel ends it at once', async () => {
    const sendAt = Date.now() + 3_600_000;
    const before = await queueStatus();
    const res = await sendBulk(t, user.apiToken, {
      recipients: hkMobiles(5, 500),
      content: 'later',
      send_at: hongKong(sendAt),
    }).expect(202);
    const a = res.body.data;
    expect(a).toMatchObject({
      status: 'pending',
      job_status: 'scheduled',
      send_at: iso(sendAt),
      total: 5,
      queue_position: null,
    });
    expect(Date.parse(a.estimated_start_at)).toBeGreaterThanOrEqual(sendAt);
    // 5 SMS at 2/s from send_at.
    expect(Date.parse(a.estimated_complete_at)).toBeGreaterThanOrEqual(sendAt + 2000);

    const d = await detail(a.id);
    expect(d).toMatchObject({
      job_status: 'scheduled',
      status: 'pending',
      send_at: iso(sendAt),
      pending_count: 5,
      queue_position: null,
      started_at: null,
    });
    expect(Date.parse(d.estimated_start_at)).toBeGreaterThanOrEqual(sendAt);
    expect(Date.parse(d.estimated_complete_at)).toBeGreaterThanOrEqual(sendAt);

    const list = await t
      .http()
      .get('/api/sms?job_status=scheduled')
      .set(bearer(user.apiToken))
      .expect(200);
    expect(list.body.data.messages.map((m: { id: number }) => m.id)).toEqual([a.id]);
    expect(list.body.data.messages[0]).toMatchObject({
      job_status: 'scheduled',
      send_at: iso(sendAt),
    });
    const recipients = await t
      .http()
      .get(`/api/sms/${a.id}/recipients?status=held`)
      .set(bearer(user.apiToken))
      .expect(200);
    expect(recipients.body.data.total).toBe(5);

    const s = await queueStatus();
    expect(s.scheduled_messages).toBe(before.scheduled_messages + 1);
    expect(s.scheduled_recipients).toBe(before.scheduled_recipients + 5);
    // Not in the queue's depth (work left by earlier tests may still drain meanwhile).
    expect(s.queue_depth).toBeLessThanOrEqual(before.queue_depth);
    expect(s.pending_messages).toBeLessThanOrEqual(before.pending_messages);

    const c = await t.http().post(`/api/sms/${a.id}/cancel`).set(bearer(user.apiToken)).expect(200);
    expect(c.body.data).toMatchObject({
      job_status: 'cancelled',
      status: 'cancelled',
      cancelled_count: 5,
      pending_count: 0,
      estimated_complete_at: null,
    });
    expect(c.body.data.completed_at).not.toBeNull();
    const after = await queueStatus();
    expect(after.scheduled_messages).toBe(before.scheduled_messages);
    expect(after.scheduled_recipients).toBe(before.scheduled_recipients);
    await t.http().post(`/api/sms/${a.id}/cancel`).set(bearer(user.apiToken)).expect(409);
  });

  it('released at send_at: no SMS before it, the first within 1 s after it (idle queue)', async () => {
    const sendAt = Date.now() + 2500;
    const res = await sendBulk(t, user.apiToken, {
      recipients: hkMobiles(3, 600),
      content: 'on time',
      send_at: iso(sendAt),
    }).expect(202);
    expect(res.body.data.job_status).toBe('scheduled');
    await gw.waitForRequests(3, 10_000);
    const first = onDateClock(Math.min(...gw.requests.map((r) => r.at)));
    expect(first).toBeGreaterThanOrEqual(sendAt);
    expect(first - sendAt).toBeLessThan(1000);
    await eventually(async () => (await detail(res.body.data.id)).job_status === 'completed');
    expect((await detail(res.body.data.id)).send_at).toBe(iso(sendAt));
  });
});

describe('Scheduled send with several processes and restarts (e2e)', () => {
  let gw: FakeGateway;
  const env = () => gatewayEnv(gw, 50);

  beforeAll(async () => {
    gw = await FakeGateway.start();
  });
  afterAll(() => gw.stop());
  beforeEach(() => gw.reset());

  it('two worker processes: every SMS of the released jobs is sent exactly once', async () => {
    const cluster = await createTestCluster(() => env(), 'schedcluster', 2);
    try {
      const user = await createUser(cluster.api);
      const sendAt = Date.now() + 2000;
      const phones: string[] = [];
      for (let i = 0; i < 10; i++) {
        const batch = hkMobiles(8, 1000 + i * 8);
        phones.push(...batch);
        await sendBulk(cluster.api, user.apiToken, {
          recipients: batch,
          content: `job ${i}`,
          send_at: iso(sendAt + i),
        }).expect(202);
      }
      await gw.waitForRequests(phones.length, 15_000);
      await new Promise((r) => setTimeout(r, 500));
      expect(gw.requests.map((r) => r.to).sort()).toEqual([...phones].sort());
      expect(onDateClock(Math.min(...gw.requests.map((r) => r.at)))).toBeGreaterThanOrEqual(sendAt);
    } finally {
      await cluster.close();
    }
  });

  it('a job that fell due while no process ran is sent at the next start', async () => {
    const db = await createTestDatabase('schedrestart');
    try {
      const first = await createTestApp(env(), 'schedrestart', db);
      const user = await createUser(first);
      const sendAt = Date.now() + 1500;
      const { id } = (
        await sendOne(first, user.apiToken, {
          recipient: '+85291239999',
          content: 'after restart',
          send_at: iso(sendAt),
        }).expect(202)
      ).body.data;
      await first.close();
      await new Promise((r) => setTimeout(r, sendAt + 500 - Date.now()));
      expect(gw.requests).toEqual([]);

      const startedAt = wallNow();
      const second = await createTestApp(env(), 'schedrestart', db);
      try {
        await gw.waitForRequests(1, 5000);
        expect(gw.requests[0].to).toBe('+85291239999');
        expect(gw.requests[0].at - startedAt).toBeLessThan(5000);
        await eventually(
          async () =>
            (await second.http().get(`/api/sms/${id}`).set(bearer(user.apiToken)).expect(200)).body
              .data.job_status === 'completed',
        );
      } finally {
        await second.close();
      }
    } finally {
      await db.drop();
    }
  });
});
