import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { MetricsService } from '../src/metrics/metrics.service.js';
import { RATE_LIMIT_STORE } from '../src/rate-limit/rate-limit.constants.js';
import type { TokenBucketStore } from '../src/rate-limit/stores/token-bucket.store.js';
import { bearer, createUser, TestUser } from './fixtures/users.js';
import { eventually } from './fixtures/waiting.js';
import { FakeGateway } from './support/fake-gateway.js';
import { createTestApp, TestApp } from './support/test-app.js';

const JITTER_MS = 100;
/** Longer than RATE_LIMIT_JITTER_MS: what an event-loop stall after a grant would do. */
const STALL_MS = 3 * JITTER_MS;

/**
 * Tokens the worker could not spend in time are given up, never spent late: a request sent
 * long after its token would reach the gateway beside the requests of tokens granted since,
 * beyond burst + rate × t (QUEUE.md). The stall is played by holding back every other grant
 * of the real bucket's answers for STALL_MS before the worker sees it.
 */
describe('Tokens held past RATE_LIMIT_JITTER_MS (e2e)', () => {
  let gw: FakeGateway;
  let t: TestApp;
  let user: TestUser;
  const grants: { granted: number; stalled: boolean }[] = [];

  beforeAll(async () => {
    gw = await FakeGateway.start();
    t = await createTestApp(
      {
        SMS_PROVIDER: 'http',
        SMS_BASE_URL: gw.url,
        SMS_RATE_PER_SEC: '20',
        SMS_BURST_CAPACITY: '4',
        RATE_LIMIT_JITTER_MS: String(JITTER_MS),
        QUEUE_POLL_MS: '200',
      },
      'worker',
    );
    const store = t.app.get<TokenBucketStore>(RATE_LIMIT_STORE);
    const take = store.take.bind(store);
    store.take = async (n, opts) => {
      const r = await take(n, opts);
      if (r.granted === 0) return r;
      const stalled = grants.length % 2 === 1;
      grants.push({ granted: r.granted, stalled });
      if (stalled) await sleep(STALL_MS);
      return r;
    };
    user = await createUser(t);
  });
  afterAll(async () => {
    await t.close();
    await gw.stop();
  });

  it('gives up the stalled grants, counts them, and still sends every SMS once', async () => {
    const phones = Array.from({ length: 12 }, (_, i) => `+8529123${String(i).padStart(4, '0')}`);
    const res = await t
      .http()
      .post('/api/sms/send-bulk')
      .set(bearer(user.apiToken))
      .send({ recipients: phones, content: 'stall test' })
      .expect(202);
    await eventually(async () => {
      const d = await t.http().get(`/api/sms/${res.body.data.id}`).set(bearer(user.apiToken));
      return d.body.data.completed_at ? d.body.data : null;
    });

    expect(gw.requests.map((r) => r.to).sort()).toEqual(phones);
    const sum = (stalled: boolean) =>
      grants.filter((g) => g.stalled === stalled).reduce((n, g) => n + g.granted, 0);
    expect(sum(true)).toBeGreaterThan(0);
    // Every request was paid by a grant the worker saw in time, none by a stalled one.
    expect(sum(false)).toBe(phones.length);
    const expired = await t.app.get(MetricsService).tokensExpired.get();
    expect(expired.values[0].value).toBe(sum(true));
  });
});
