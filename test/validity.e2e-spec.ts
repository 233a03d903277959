import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { countRows, hkMobiles, sendBulk, sendOne } from './fixtures/messages.js';
import { adminSession, bearer, createUser, TestUser } from './fixtures/users.js';
import { eventually } from './fixtures/waiting.js';
import { FakeGateway } from './support/fake-gateway.js';
import { createTestApp, TestApp } from './support/test-app.js';

/**
 * SCHEDULING.md, validity: `valid_until` / `validity_seconds`, the `expired` states, no
 * request after valid_until (judged at the gateway), retries that would come too late expire,
 * and 422 WOULD_EXPIRE when the estimate at submission already misses it.
 */
const RATE = 2;
const BURST = 4;
/** Arrival at the fake gateway after a request that started in time: the local round trip. */
const ARRIVAL_SLACK_MS = 250;

describe('Validity: valid_until, expired, WOULD_EXPIRE (e2e)', () => {
  let gw: FakeGateway;
  let t: TestApp;
  let admin: string;
  let user: TestUser;

  const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
  const detail = async (id: number) =>
    (await t.http().get(`/api/sms/${id}`).set(bearer(user.apiToken)).expect(200)).body.data;
  const finished = (id: number) =>
    eventually(async () => {
      const d = await detail(id);
      return d.completed_at ? d : null;
    }, 15_000);
  const pause = () => t.http().post('/api/admin/queue/pause').set(bearer(admin)).expect(200);
  const resume = () => t.http().post('/api/admin/queue/resume').set(bearer(admin)).expect(200);

  beforeAll(async () => {
    gw = await FakeGateway.start();
    t = await createTestApp(
      {
        SMS_PROVIDER: 'http',
        SMS_BASE_URL: gw.url,
        SMS_RATE_PER_SEC: String(RATE),
        SMS_BURST_CAPACITY: String(BURST),
        SMS_RETRY_BASE_MS: '10000',
        QUEUE_POLL_MS: '200',
      },
      'validity',
    );
    admin = await adminSession(t);
    user = await createUser(t, { username: 'val' });
  });
  beforeEach(async () => {
    gw.reset();
    await resume();
  });
  afterAll(async () => {
    await t.close();
    await gw.stop();
  });

  it.each([
    [{ valid_until: inSeconds(60), validity_seconds: 60 }, 'validity_seconds'],
    [{ valid_until: '2026-12-01T10:00:00' }, 'valid_until'],
    [{ valid_until: 'tomorrow' }, 'valid_until'],
    [{ validity_seconds: 59 }, 'validity_seconds'],
    [{ validity_seconds: 604801 }, 'validity_seconds'],
    [{ validity_seconds: 90.5 }, 'validity_seconds'],
    [{ allow_expiry: 'yes' }, 'allow_expiry'],
  ])('refuses %j with 400 naming %s, and queues nothing', async (fields, field) => {
    const before = await countRows(t);
    const res = await sendOne(t, user.apiToken, {
      recipient: '+85261234567',
      content: 'x',
      ...fields,
    }).expect(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(JSON.stringify(res.body.error.details)).toContain(field);
    expect(await countRows(t)).toEqual(before);
  });

  it('answers 422 WOULD_EXPIRE when the estimate misses valid_until, unless allow_expiry', async () => {
    await pause();
    // 100 SMS at 2/s with 4 in hand: done in about 48 s, inside 60 s of validity.
    const first = await sendBulk(t, user.apiToken, {
      recipients: hkMobiles(100, 0),
      content: 'first',
      validity_seconds: 60,
    }).expect(202);
    expect(Date.parse(first.body.data.valid_until)).toBeGreaterThan(Date.now() + 55_000);
    // 100 more behind them: about 98 s, past its 60 s.
    const before = await countRows(t);
    const late = await sendBulk(t, user.apiToken, {
      recipients: hkMobiles(100, 100),
      content: 'second',
      validity_seconds: 60,
    }).expect(422);
    expect(late.body.error.code).toBe('WOULD_EXPIRE');
    const [d] = late.body.error.details;
    expect(Date.parse(d.estimated_complete_at)).toBeGreaterThan(Date.parse(d.valid_until));
    expect(Date.parse(d.estimated_complete_at) - Date.now()).toBeGreaterThan(90_000);
    expect(await countRows(t)).toEqual(before);
    const allowed = await sendBulk(t, user.apiToken, {
      recipients: hkMobiles(100, 100),
      content: 'second',
      validity_seconds: 60,
      allow_expiry: true,
    }).expect(202);
    expect(allowed.body.data.job_status).toBe('pending');
    for (const id of [first.body.data.id, allowed.body.data.id]) {
      await t.http().post(`/api/sms/${id}/cancel`).set(bearer(user.apiToken)).expect(200);
    }
  });

  it('expires what waits past valid_until: recipients and job `expired`, old status `failed`', async () => {
    await pause();
    const res = await sendBulk(t, user.apiToken, {
      recipients: hkMobiles(5, 300),
      content: 'too late',
      valid_until: inSeconds(1.5),
      allow_expiry: true,
    }).expect(202);
    const done = await finished(res.body.data.id);
    expect(done).toMatchObject({
      job_status: 'expired',
      status: 'failed',
      expired_count: 5,
      pending_count: 0,
      success_count: 0,
      progress_percent: 100,
      queue_position: null,
      estimated_complete_at: null,
    });
    const recipients = await t
      .http()
      .get(`/api/sms/${res.body.data.id}/recipients`)
      .set(bearer(user.apiToken))
      .expect(200);
    expect(
      new Set(recipients.body.data.recipients.map((r: { status: string }) => r.status)),
    ).toEqual(new Set(['expired']));
    const listed = await t
      .http()
      .get('/api/sms?job_status=expired')
      .set(bearer(user.apiToken))
      .expect(200);
    expect(listed.body.data.messages.map((m: { id: number }) => m.id)).toContain(res.body.data.id);
    await resume();
    await new Promise((r) => setTimeout(r, 1000));
    expect(gw.requests).toHaveLength(0);
  });

  it('starts no request after valid_until: the rest of a job still sending expires', async () => {
    // 4 at once, then one every 500 ms: about 8 in 2 s; 30 cannot all go.
    const validUntil = Date.now() + 2000;
    const res = await sendBulk(t, user.apiToken, {
      recipients: hkMobiles(30, 400),
      content: 'while valid',
      valid_until: new Date(validUntil).toISOString(),
      allow_expiry: true,
    }).expect(202);
    const done = await finished(res.body.data.id);
    expect(done.job_status).toBe('partial');
    expect(done.success_count).toBe(gw.requests.length);
    expect(done.success_count + done.expired_count).toBe(30);
    expect(done.expired_count).toBeGreaterThan(10);
    const late = gw.requests.filter((r) => r.at > validUntil + ARRIVAL_SLACK_MS);
    expect(late).toEqual([]);
  });

  it('a retry that would fall after valid_until expires instead', async () => {
    gw.setDefault({ status: 500, body: 'down' });
    try {
      const validUntil = Date.now() + 3000;
      const res = await sendOne(t, user.apiToken, {
        recipient: '+85261234999',
        content: 'once only',
        valid_until: new Date(validUntil).toISOString(),
      }).expect(202);
      // The first attempt fails; the next would be 5-10 s later, after valid_until.
      const done = await finished(res.body.data.id);
      expect(done).toMatchObject({ job_status: 'expired', expired_count: 1, failed_count: 0 });
      expect(Date.parse(done.completed_at)).toBeLessThan(validUntil);
      expect(gw.requests).toHaveLength(1);
    } finally {
      gw.setDefault({ status: 200, body: 'OK' });
    }
  });
});
