import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { FakeAnswer, FakeGateway } from './support/fake-gateway.js';
import { hkMobile } from './fixtures/messages.js';
import { bearer, createUser, TestUser } from './fixtures/users.js';
import { eventually } from './fixtures/waiting.js';
import { createTestApp, TestApp } from './support/test-app.js';

/*
 * Gateway faults end to end (QUEUE.md "Failures" and the 429 part of "Rate limit"): the real
 * AppModule over HTTP, the real HTTP adapters, and a fake upstream gateway over real HTTP
 * that answers from per-number scripts and records the arrival time of every request.
 */

/** After a job finished: how long a stray extra request gets to show up at the gateway. */
const SETTLE_MS = 300;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Recipient {
  phone: string;
  status: string;
  attempts: number;
  error_message: string | null;
}

/** One fake gateway and one app with `env`, for the describe block it is called in. */
function useGatewayApp(env: Record<string, string>, label: string) {
  const h = {} as { gw: FakeGateway; t: TestApp; user: TestUser };

  beforeAll(async () => {
    h.gw = await FakeGateway.start();
    h.t = await createTestApp({ SMS_BASE_URL: h.gw.url, ...env }, label);
    h.user = await createUser(h.t);
  });
  afterAll(async () => {
    await h.t?.close();
    await h.gw?.stop();
  });
  beforeEach(() => h.gw.reset());

  const bulk = async (phones: string[]): Promise<number> => {
    const res = await h.t
      .http()
      .post('/api/sms/send-bulk')
      .set(bearer(h.user.apiToken))
      .send({ recipients: phones, content: 'gateway fault test' })
      .expect(202);
    return res.body.data.id;
  };
  const detail = async (id: number) =>
    (await h.t.http().get(`/api/sms/${id}`).set(bearer(h.user.apiToken)).expect(200)).body.data;
  const finished = (id: number, timeoutMs = 15_000) =>
    eventually(
      async () => {
        const d = await detail(id);
        return d.completed_at ? d : null;
      },
      timeoutMs,
      50,
    );
  const recipients = async (id: number): Promise<Recipient[]> =>
    (
      await h.t
        .http()
        .get(`/api/sms/${id}/recipients?per_page=100`)
        .set(bearer(h.user.apiToken))
        .expect(200)
    ).body.data.recipients;
  const recipient = async (id: number, phone: string): Promise<Recipient> => {
    const r = (await recipients(id)).find((x) => x.phone === phone);
    if (!r) throw new Error(`no recipient ${phone} in job ${id}`);
    return r;
  };
  /** Arrival times (ms) of the gateway requests for `phone`, in order. */
  const times = (phone: string) => h.gw.requests.filter((r) => r.to === phone).map((r) => r.at);
  /**
   * No double sends: after a short extra wait, the gateway got exactly the scripted number
   * of requests per number, and none for any other number.
   */
  const expectExactRequests = async (expected: Record<string, number>) => {
    await sleep(SETTLE_MS);
    const actual = Object.fromEntries(Object.keys(expected).map((p) => [p, h.gw.countFor(p)]));
    expect(actual).toEqual(expected);
    const total = Object.values(expected).reduce((a, b) => a + b, 0);
    expect(h.gw.requests.length).toBe(total);
  };
  /** The job ended with counts that add up to its recipients. */
  const expectCountsAddUp = (d: {
    success_count: number;
    failed_count: number;
    cancelled_count: number;
    pending_count: number;
    recipient_count: number;
  }) =>
    expect(d.success_count + d.failed_count + d.cancelled_count + d.pending_count).toBe(
      d.recipient_count,
    );

  return {
    h,
    bulk,
    detail,
    finished,
    recipients,
    recipient,
    times,
    expectExactRequests,
    expectCountsAddUp,
  };
}

type Harness = ReturnType<typeof useGatewayApp>;

/**
 * Queues 20 numbers; the third answers 429 with `Retry-After: 2` once. Checks what holds
 * whatever the worker's concurrency and returns, in ms after the 429 reached the gateway,
 * the requests for the other numbers that arrived inside the 2 s window.
 */
async function throttleScenario(g: Harness, from: number, label: string) {
  const phones = Array.from({ length: 20 }, (_, i) => hkMobile(from + i));
  const throttled = phones[2];
  g.h.gw.script(throttled, [
    { status: 429, body: 'Too Many Requests', headers: { 'Retry-After': '2' } },
    { status: 200, body: 'OK' },
  ]);
  const id = await g.bulk(phones);
  // The shared bucket while it is held: its refill is put off until `hold_end` (epoch ms).
  const bucket = await eventually(
    async () => {
      const [row] = await g.h.t.db.dataSource.query(
        `SELECT EXTRACT(EPOCH FROM updated_at)::float8 * 1000 AS hold_end,
           EXTRACT(EPOCH FROM clock_timestamp())::float8 * 1000 AS now
         FROM rate_limit_buckets`,
      );
      return row.hold_end > row.now + 500 ? row : null;
    },
    8_000,
    5,
  ).catch(() => null);
  const d = await g.finished(id, 20_000);
  expect(d).toMatchObject({
    job_status: 'completed',
    success_count: phones.length,
    failed_count: 0,
  });
  g.expectCountsAddUp(d);
  expect(await g.recipient(id, throttled)).toMatchObject({ status: 'sent', attempts: 2 });
  await g.expectExactRequests(Object.fromEntries(phones.map((p) => [p, p === throttled ? 2 : 1])));

  const [t429, retry] = g.times(throttled);
  const others = g.h.gw.requests.filter((r) => r.to !== throttled).map((r) => r.at - t429);
  const inWindow = others.filter((dt) => dt > 0 && dt < 2000);
  const after = others.filter((dt) => dt >= 2000);
  const holdEnd = bucket ? Number(bucket.hold_end) - t429 : NaN;
  const ms = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
  console.log(
    `[429 Retry-After: 2, ${label}] after the 429 reached the gateway: shared bucket held until ` +
      `${ms(holdEnd)} ms; retry of that number at ${ms(retry - t429)} ms; other numbers: ` +
      `${others.length - inWindow.length - after.length} before the 429, ${inWindow.length} inside ` +
      `the window [${inWindow.map(ms).join(', ')}], ${after.length} after it (first at ` +
      `${ms(Math.min(...after))} ms)`,
  );
  // The retry of that number waits at least Retry-After.
  expect(retry - t429).toBeGreaterThanOrEqual(2000);
  // The whole cluster holds off: the shared bucket gives out no token until 2 s after the 429.
  expect(bucket).not.toBeNull();
  expect(holdEnd).toBeGreaterThanOrEqual(2000);
  // Most of the queue (17 other numbers after the 429) was still waiting: it held off, and
  // resumes once the window is over.
  expect(after.length).toBeGreaterThanOrEqual(10);
  expect(Math.min(...after)).toBeLessThan(2000 + 1000);
  return { inWindow };
}

const HTTP_500 = (body = 'boom'): FakeAnswer => ({ status: 500, body });

describe('Gateway faults: timeouts, resets, 5xx, backoff (http gateway, e2e)', () => {
  const g = useGatewayApp(
    {
      SMS_PROVIDER: 'http',
      SMS_API_SECRET: 'fault-secret',
      SMS_REQUEST_TIMEOUT_MS: '300',
      SMS_RATE_PER_SEC: '50',
      SMS_BURST_CAPACITY: '10',
      SMS_RETRY_BASE_MS: '200',
      SMS_RETRY_MAX_MS: '2000',
      SMS_MAX_ATTEMPTS: '3',
      QUEUE_POLL_MS: '200',
      QUEUE_LEASE_MS: '5000',
    },
    'gwfaults',
  );

  it('a request that times out is retried: sent after 2 attempts, "timeout after 300 ms" kept meanwhile', async () => {
    const phone = hkMobile(1_000_001);
    // The second answer is a little slow too (well inside the timeout), so the retry is
    // visible for a while both as 'pending' and as 'sending'.
    g.h.gw.script(phone, [
      { status: 200, body: 'late', delayMs: 1000 },
      { status: 200, body: 'OK', delayMs: 100 },
    ]);
    const id = await g.bulk([phone]);

    const retrying = await eventually(
      async () => {
        const r = await g.recipient(id, phone);
        return r.error_message !== null || r.status === 'sent' ? r : null;
      },
      10_000,
      10,
    );
    expect(retrying?.status).toMatch(/^(pending|sending)$/);
    expect(retrying?.error_message).toBe('timeout after 300 ms');

    const d = await g.finished(id);
    expect(d).toMatchObject({ job_status: 'completed', success_count: 1, failed_count: 0 });
    expect(await g.recipient(id, phone)).toMatchObject({
      status: 'sent',
      attempts: 2,
      error_message: null,
    });
    const [first, second] = g.times(phone);
    // The first request was given up after 300 ms, then at least half the retry base.
    expect(second - first).toBeGreaterThanOrEqual(300 + 100);
    await g.expectExactRequests({ [phone]: 2 });
    expect(g.h.gw.requests[0].headers.authorization).toBe('Bearer fault-secret');
  });

  it('connection resets are retried: reset, reset, 200 ends sent after 3 attempts', async () => {
    const phone = hkMobile(1_000_002);
    g.h.gw.script(phone, [
      { status: 0, reset: true },
      { status: 0, reset: true },
      { status: 200, body: 'OK' },
    ]);
    const id = await g.bulk([phone]);

    const retrying = await eventually(
      async () => {
        const r = await g.recipient(id, phone);
        return r.error_message !== null || r.status === 'sent' ? r : null;
      },
      10_000,
      10,
    );
    expect(retrying?.status).toMatch(/^(pending|sending)$/);
    expect(retrying?.error_message).toMatch(/^network error: .*(ECONNRESET|socket|closed)/i);

    const d = await g.finished(id);
    expect(d).toMatchObject({ job_status: 'completed', success_count: 1, failed_count: 0 });
    expect(await g.recipient(id, phone)).toMatchObject({
      status: 'sent',
      attempts: 3,
      error_message: null,
    });
    await g.expectExactRequests({ [phone]: 3 });
  });

  it('5xx bursts on several numbers: all end sent with the scripted attempts, job completed', async () => {
    const scripts: Record<string, number[]> = {
      [hkMobile(1_000_011)]: [502, 503],
      [hkMobile(1_000_012)]: [504],
      [hkMobile(1_000_013)]: [503, 504],
      [hkMobile(1_000_014)]: [502],
      [hkMobile(1_000_015)]: [504, 502],
      [hkMobile(1_000_016)]: [],
      [hkMobile(1_000_017)]: [503],
    };
    const phones = Object.keys(scripts);
    for (const [phone, statuses] of Object.entries(scripts)) {
      g.h.gw.script(phone, [
        ...statuses.map((status) => ({ status, body: `upstream ${status}` })),
        { status: 200, body: 'OK' },
      ]);
    }
    const id = await g.bulk(phones);
    const d = await g.finished(id);
    expect(d).toMatchObject({
      job_status: 'completed',
      status: 'sent',
      recipient_count: phones.length,
      success_count: phones.length,
      failed_count: 0,
      cancelled_count: 0,
      pending_count: 0,
      progress_percent: 100,
    });
    g.expectCountsAddUp(d);
    const rows = await g.recipients(id);
    expect(
      Object.fromEntries(rows.map((r) => [r.phone, { status: r.status, attempts: r.attempts }])),
    ).toEqual(
      Object.fromEntries(
        phones.map((p) => [p, { status: 'sent', attempts: scripts[p].length + 1 }]),
      ),
    );
    await g.expectExactRequests(Object.fromEntries(phones.map((p) => [p, scripts[p].length + 1])));
  });

  it('SMS_MAX_ATTEMPTS=3: four 500s end failed after exactly 3 requests, no 4th', async () => {
    const phone = hkMobile(1_000_021);
    g.h.gw.script(phone, [HTTP_500(), HTTP_500(), HTTP_500(), HTTP_500()]);
    const id = await g.bulk([phone]);
    const d = await g.finished(id);
    expect(d).toMatchObject({
      job_status: 'failed',
      success_count: 0,
      failed_count: 1,
      pending_count: 0,
    });
    g.expectCountsAddUp(d);
    expect(await g.recipient(id, phone)).toMatchObject({
      status: 'failed',
      attempts: 3,
      error_message: 'HTTP 500: boom',
    });
    await g.expectExactRequests({ [phone]: 3 });
  });

  it('backs off exponentially with equal jitter: 500, 500, 200 with base 200 ms', async () => {
    const phones = Array.from({ length: 6 }, (_, i) => hkMobile(1_000_031 + i));
    for (const p of phones) g.h.gw.script(p, [HTTP_500(), HTTP_500(), { status: 200 }]);
    const id = await g.bulk(phones);
    const d = await g.finished(id);
    expect(d).toMatchObject({ job_status: 'completed', success_count: phones.length });
    for (const r of await g.recipients(id))
      expect(r).toMatchObject({ status: 'sent', attempts: 3 });
    await g.expectExactRequests(Object.fromEntries(phones.map((p) => [p, 3])));

    const firstGaps: number[] = [];
    for (const p of phones) {
      const [a, b, c] = g.times(p);
      // Before attempt n+1: base·2^(n-1), half fixed, half random.
      expect(b - a).toBeGreaterThanOrEqual(100);
      expect(b - a).toBeLessThanOrEqual(200 + 1500);
      expect(c - b).toBeGreaterThanOrEqual(200);
      expect(c - b).toBeLessThanOrEqual(400 + 1500);
      firstGaps.push(b - a);
    }
    // Jitter: the retries of six numbers that failed together do not all come back together.
    expect(Math.max(...firstGaps) - Math.min(...firstGaps)).toBeGreaterThan(5);
  });

  it('no request after a success or a permanent failure, in a mixed job', async () => {
    const [transientThenPermanent, permanent, slowOk, flaky, plain] = Array.from(
      { length: 5 },
      (_, i) => hkMobile(1_000_041 + i),
    );
    g.h.gw.script(transientThenPermanent, [
      { status: 502, body: 'bad gateway' },
      { status: 400, body: 'invalid number' },
    ]);
    g.h.gw.script(permanent, [{ status: 403, body: 'blocked destination' }]);
    g.h.gw.script(slowOk, [{ status: 200, body: 'OK', delayMs: 100 }]);
    g.h.gw.script(flaky, [{ status: 503, body: 'busy' }, { status: 200 }]);
    const id = await g.bulk([transientThenPermanent, permanent, slowOk, flaky, plain]);
    const d = await g.finished(id);
    expect(d).toMatchObject({
      job_status: 'partial',
      success_count: 3,
      failed_count: 2,
      pending_count: 0,
    });
    g.expectCountsAddUp(d);
    const rows = Object.fromEntries((await g.recipients(id)).map((r) => [r.phone, r]));
    expect(rows[transientThenPermanent]).toMatchObject({
      status: 'failed',
      attempts: 2,
      error_message: 'HTTP 400: invalid number',
    });
    expect(rows[permanent]).toMatchObject({
      status: 'failed',
      attempts: 1,
      error_message: 'HTTP 403: blocked destination',
    });
    expect(rows[slowOk]).toMatchObject({ status: 'sent', attempts: 1 });
    expect(rows[flaky]).toMatchObject({ status: 'sent', attempts: 2 });
    expect(rows[plain]).toMatchObject({ status: 'sent', attempts: 1 });
    await g.expectExactRequests({
      [transientThenPermanent]: 2,
      [permanent]: 1,
      [slowOk]: 1,
      [flaky]: 2,
      [plain]: 1,
    });
  });

  it('429 with Retry-After: 2 while 4 requests are in flight: the rest of the queue waits out the window', async () => {
    const r = await throttleScenario(g, 1_000_101, 'QUEUE_CONCURRENCY 4');
    // Requests sent together with the 429 request, or whose token was taken before the
    // bucket was emptied (a database round trip after the 429), may still arrive just after
    // it; the rest of the queue waits (checked in throttleScenario). Nothing new starts
    // later in the window.
    expect(r.inWindow.filter((dt) => dt >= 1000)).toEqual([]);
  });
});

describe('Gateway faults: Retry-After and 429 cluster hold (hkt gateway, one worker slot, e2e)', () => {
  // One request in flight at a time, so nothing can be on its way to the gateway when the
  // 429 comes back: the hold must then be complete.
  const g = useGatewayApp(
    {
      SMS_PROVIDER: 'hkt',
      SMS_APPLICATION_ID: 'app-faults',
      SMS_SENDER_NUMBER: '85230000000',
      SMS_REQUEST_TIMEOUT_MS: '2000',
      SMS_RATE_PER_SEC: '50',
      SMS_BURST_CAPACITY: '10',
      SMS_RETRY_BASE_MS: '50',
      SMS_RETRY_MAX_MS: '500',
      SMS_MAX_ATTEMPTS: '3',
      QUEUE_CONCURRENCY: '1',
      QUEUE_POLL_MS: '200',
      QUEUE_LEASE_MS: '5000',
    },
    'gwretryafter',
  );

  it('429 with Retry-After: 2 holds off that number AND every other number for 2 s', async () => {
    const r = await throttleScenario(g, 2_000_001, 'one worker slot');
    // Not a single request for another number inside the window.
    expect(r.inWindow).toEqual([]);
  });

  it('503 with Retry-After: 1 makes that number wait at least 1 s', async () => {
    const phone = hkMobile(2_000_101);
    g.h.gw.script(phone, [
      { status: 503, body: 'maintenance', headers: { 'Retry-After': '1' } },
      { status: 200, body: 'OK' },
    ]);
    const id = await g.bulk([phone]);
    const d = await g.finished(id);
    expect(d).toMatchObject({ job_status: 'completed', success_count: 1 });
    expect(await g.recipient(id, phone)).toMatchObject({ status: 'sent', attempts: 2 });
    await g.expectExactRequests({ [phone]: 2 });
    const [first, second] = g.times(phone);
    console.log(`[503 Retry-After: 1] retry ${(second - first).toFixed(1)} ms after the 503`);
    expect(second - first).toBeGreaterThanOrEqual(1000);
    // Base 50 ms would retry within 50 ms: Retry-After is what made it wait, and not much longer.
    expect(second - first).toBeLessThan(1000 + 1500);
  });
});
