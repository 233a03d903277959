import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeGateway } from './support/fake-gateway.js';
import { achievedRate, worstWindow } from './support/rate-check.js';
import { analyzeContent } from '../src/messages/sms-encoding.js';
import { hkMobiles, sendBulk } from './fixtures/messages.js';
import { adminSession, bearer } from './fixtures/users.js';
import { eventually } from './fixtures/waiting.js';
import { createTestApp, TestApp } from './support/test-app.js';

/** The app shares its event loop with the test: a request may leave late after its token. */
const JITTER_SLACK_MS = 100;
const RATE = 9;
const BURST = 9;
/** GSM-7, 400 characters: 3 segments of 153. */
const CONTENT = 'Segmented '.repeat(40);
const SMS = 24;

/**
 * spec/FAIRNESS.md "Rate unit": with SMS_RATE_UNIT=segment a token pays for one segment, so
 * QUEUE.md's window bound counts segments at the gateway, and estimates count them too.
 */
describe('SMS_RATE_UNIT=segment (e2e, real HTTP gateway)', () => {
  let gw: FakeGateway;
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    gw = await FakeGateway.start({ defaultAnswer: { status: 200, body: 'OK', delayMs: 20 } });
    t = await createTestApp(
      {
        SMS_PROVIDER: 'http',
        SMS_BASE_URL: gw.url,
        SMS_RATE_UNIT: 'segment',
        SMS_RATE_PER_SEC: String(RATE),
        SMS_BURST_CAPACITY: String(BURST),
        SMS_MAX_SEGMENTS: '9',
        QUEUE_POLL_MS: '200',
        QUEUE_LEASE_MS: '10000',
      },
      'rateunit',
    );
    admin = await adminSession(t);
  });
  afterAll(async () => {
    await t.close();
    await gw.stop();
  });

  const status = async () => (await t.http().get('/api/queue/status').expect(200)).body.data;
  const detail = async (id: number) =>
    (await t.http().get(`/api/sms/${id}`).set(bearer(admin)).expect(200)).body.data;

  it('the admin API answers the unit and refuses a burst below SMS_MAX_SEGMENTS (400)', async () => {
    expect(analyzeContent(CONTENT).segments).toBe(3);
    const got = await t.http().get('/api/admin/rate-limit').set(bearer(admin)).expect(200);
    expect(got.body.data).toEqual({
      msgs_per_sec: RATE,
      burst_capacity: BURST,
      rate_unit: 'segment',
    });
    const res = await t
      .http()
      .put('/api/admin/rate-limit')
      .set(bearer(admin))
      .send({ msgs_per_sec: RATE, burst_capacity: 8 })
      .expect(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(JSON.stringify(res.body.error)).toContain('SMS_MAX_SEGMENTS');
    await t
      .http()
      .put('/api/admin/rate-limit')
      .set(bearer(admin))
      .send({ msgs_per_sec: RATE, burst_capacity: BURST })
      .expect(200);
  });

  let jobId: number;
  let estimatedMs: number;

  it('estimates in segments: queue_depth in SMS, time = (segments - tokens) / rate', async () => {
    await t.http().post('/api/admin/queue/pause').set(bearer(admin)).expect(200);
    jobId = (
      await sendBulk(t, admin, { recipients: hkMobiles(SMS, 700), content: CONTENT }).expect(202)
    ).body.data.id;
    const asked = Date.now();
    const [d, s] = [await detail(jobId), await status()];
    expect(s.queue_depth).toBe(SMS);
    const seconds = (SMS * 3 - s.tokens_available) / RATE;
    // Counted in SMS it would be (24 - 9) / 9 ≈ 1.7 s; in segments (72 - 9) / 9 = 7 s.
    expect(s.estimated_drain_seconds).toBe(Math.ceil(seconds));
    estimatedMs = Date.parse(d.estimated_complete_at) - asked;
    expect(Math.abs(estimatedMs - seconds * 1000)).toBeLessThan(500);
    expect(gw.requests).toHaveLength(0);
  });

  it('sends at rate / 3 requests a second; the window bound holds in segments; the estimate comes true', async () => {
    const resumed = Date.now();
    await t.http().post('/api/admin/queue/resume').set(bearer(admin)).expect(200);
    const done = await eventually(async () => {
      const d = await detail(jobId);
      return d.completed_at ? d : null;
    }, 30_000);
    expect(done).toMatchObject({ job_status: 'completed', success_count: SMS });
    expect(gw.requests).toHaveLength(SMS);
    const arrivals = gw.requests.map((r) => r.at);
    const weights = gw.requests.map((r) => analyzeContent(r.text).segments);
    expect(weights.every((w) => w === 3)).toBe(true);
    const check = worstWindow(arrivals, RATE, BURST, JITTER_SLACK_MS, weights);
    expect(check.holds).toBe(true);
    // Unweighted, 24 requests fit far within 9 + 9 t: the weighted check is the one that binds.
    expect(worstWindow(arrivals, RATE, BURST).excess).toBeLessThan(check.excess);
    // A full bucket lets 3 SMS go at once, then one is paid every 1/3 s.
    const perSec = achievedRate(arrivals, BURST / 3)!;
    expect(perSec).toBeGreaterThan((RATE / 3) * 0.8);
    expect(perSec).toBeLessThan((RATE / 3) * 1.1);
    // Finished about when estimated (the estimate was made while paused, before the resume).
    const took = Date.parse(done.completed_at) - resumed;
    expect(Math.abs(took - estimatedMs)).toBeLessThan(2000);
  }, 40_000);
});
