import { describe, expect, it } from '@jest/globals';
import { afterFailure, GIVE_UP_MS, retryDelayMs, shouldDeactivate } from './delivery-rules.js';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;

describe('webhook delivery rules', () => {
  it('waits about 10 s, 1 min, 5 min, 30 min, 2 h, 6 h, then every 6 h', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => retryDelayMs(n, 10 * S))).toEqual([
      10 * S,
      MIN,
      5 * MIN,
      30 * MIN,
      2 * H,
      6 * H,
      6 * H,
      6 * H,
      6 * H,
    ]);
  });

  it('retries until 24 h after the event, then fails the delivery', () => {
    const event = 1_000_000;
    const expires = event + GIVE_UP_MS;
    let now = event;
    const attempts: number[] = [];
    for (let n = 1; ; n++) {
      attempts.push(now - event);
      const next = afterFailure(n, now, expires, 10 * S);
      if (next.status === 'failed') break;
      expect(next.nextAttemptAt).toBeLessThanOrEqual(expires);
      now = next.nextAttemptAt;
    }
    // 0, 10 s, 1 min 10 s, 6 min 10 s, 36 min 10 s, 2 h 36 min 10 s, then every 6 h.
    expect(attempts).toEqual([
      0,
      10 * S,
      70 * S,
      370 * S,
      2170 * S,
      9370 * S,
      9370 * S + 6 * H,
      9370 * S + 12 * H,
      9370 * S + 18 * H,
    ]);
    expect(afterFailure(1, expires - 5 * S, expires, 10 * S)).toEqual({ status: 'failed' });
    expect(afterFailure(1, expires - 10 * S, expires, 10 * S)).toEqual({
      status: 'pending',
      nextAttemptAt: expires,
    });
  });

  it('gives an endpoint up after 24 h of nothing but failures', () => {
    const since = 5_000_000;
    expect(shouldDeactivate(null, since + 48 * H)).toBe(false);
    expect(shouldDeactivate(since, since + GIVE_UP_MS - 1)).toBe(false);
    expect(shouldDeactivate(since, since + GIVE_UP_MS)).toBe(true);
  });
});
