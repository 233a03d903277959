import { describe, expect, it } from '@jest/globals';
import {
  drain,
  fullBucket,
  msUntil,
  reconfigure,
  reserveTokens,
  refill,
  take,
  type BucketParams,
} from './token-bucket.js';

const T0 = 1_764_300_000_123; // an epoch-sized time, where float rounding is coarsest
const p = (msgsPerSec: number, burstCapacity: number): BucketParams => ({
  msgsPerSec,
  burstCapacity,
});

describe('token bucket', () => {
  it('starts full', () => {
    expect(fullBucket(p(2, 5), T0)).toEqual({ tokens: 5, updatedAt: T0 });
  });

  it('grants the whole burst at once, then nothing', () => {
    const first = take(fullBucket(p(2, 5), T0), p(2, 5), T0, 5);
    expect(first).toEqual({ granted: 5, state: { tokens: 0, updatedAt: T0 }, waitMs: 0 });
    const second = take(first.state, p(2, 5), T0, 1);
    expect(second.granted).toBe(0);
    expect(second.waitMs).toBe(500);
  });

  it('refills continuously at the rate', () => {
    const s = { tokens: 0, updatedAt: T0 };
    expect(refill(s, p(2, 5), T0 + 250).tokens).toBeCloseTo(0.5, 12);
    expect(refill(s, p(2, 5), T0 + 1500)).toEqual({ tokens: 3, updatedAt: T0 + 1500 });
  });

  it('caps the refill at the burst capacity', () => {
    expect(refill({ tokens: 4, updatedAt: T0 }, p(2, 5), T0 + 60_000).tokens).toBe(5);
  });

  it('never refills backwards when the clock is behind updatedAt', () => {
    expect(refill({ tokens: 1, updatedAt: T0 }, p(2, 5), T0 - 1000)).toEqual({
      tokens: 1,
      updatedAt: T0,
    });
  });

  it('waits 2000 ms per token at a fractional rate of 0.5/s', () => {
    const empty = { tokens: 0, updatedAt: T0 };
    expect(take(empty, p(0.5, 1), T0, 1).waitMs).toBe(2000);
    expect(take(empty, p(0.5, 1), T0 + 1999, 1).granted).toBe(0);
    expect(take(empty, p(0.5, 1), T0 + 1999, 1).waitMs).toBe(1);
    expect(take(empty, p(0.5, 1), T0 + 2000, 1).granted).toBe(1);
  });

  it('waits for all n tokens when all-or-nothing', () => {
    const s = { tokens: 0.5, updatedAt: T0 };
    const out = take(s, p(2, 5), T0, 3);
    expect(out).toEqual({ granted: 0, state: s, waitMs: 1250 });
    expect(take(s, p(2, 5), T0 + 1250, 3).granted).toBe(3);
  });

  it.each([
    [3, 1],
    [7, 1],
    [0.3, 2],
    [1000, 1],
    [12_345.6, 3],
  ])(
    'gives a waitMs after which the tokens are there, not 1 ms later (rate %p, n %p)',
    (rate, n) => {
      let state = { tokens: 0.1, updatedAt: T0 };
      let now = T0;
      for (let i = 0; i < 50; i++) {
        const refused = take(state, p(rate, 5), now, n);
        expect(refused.granted).toBe(0);
        now += refused.waitMs;
        const granted = take(state, p(rate, 5), now, n);
        expect(granted.granted).toBe(n);
        // One ms earlier would have been too early (the wait is not padded).
        if (refused.waitMs > 1) expect(take(state, p(rate, 5), now - 1, n).granted).toBe(0);
        state = granted.state;
      }
    },
  );

  it('grants a partial batch of min(n, floor(tokens))', () => {
    const s = { tokens: 3.7, updatedAt: T0 };
    expect(take(s, p(2, 10), T0, 10, { partial: true })).toEqual({
      granted: 3,
      state: { tokens: expect.closeTo(0.7, 12), updatedAt: T0 },
      waitMs: 0,
    });
    expect(take(s, p(2, 10), T0, 2, { partial: true }).granted).toBe(2);
  });

  it('makes a partial take wait for one token only', () => {
    const out = take({ tokens: 0.25, updatedAt: T0 }, p(2, 10), T0, 10, { partial: true });
    expect(out.granted).toBe(0);
    expect(out.waitMs).toBe(375);
  });

  it('lets a partial take ask for more than the burst', () => {
    expect(take(fullBucket(p(2, 4), T0), p(2, 4), T0, 100, { partial: true }).granted).toBe(4);
  });

  it('throws a RangeError when all-or-nothing n exceeds the burst (it could never be granted)', () => {
    expect(() => take(fullBucket(p(2, 4), T0), p(2, 4), T0, 5)).toThrow(RangeError);
  });

  it.each([0, -1, 1.5, NaN])('rejects a token count of %p', (n) => {
    expect(() => take(fullBucket(p(2, 4), T0), p(2, 4), T0, n)).toThrow(RangeError);
  });

  describe('drain', () => {
    it('empties the bucket and holds refill until the deadline', () => {
      const held = drain(fullBucket(p(2, 5), T0), p(2, 5), T0, T0 + 3000);
      expect(held).toEqual({ tokens: 0, updatedAt: T0 + 3000 });
      expect(take(held, p(2, 5), T0 + 3000, 1)).toMatchObject({ granted: 0, waitMs: 500 });
      expect(take(held, p(2, 5), T0, 1).waitMs).toBe(3500);
      expect(take(held, p(2, 5), T0 + 3500, 1).granted).toBe(1);
    });

    it('keeps its hold when the rate is raised meanwhile', () => {
      const held = drain(fullBucket(p(1, 5), T0), p(1, 5), T0, T0 + 3000);
      const faster = reconfigure(held, p(1, 5), p(100, 5), T0 + 1000);
      expect(take(faster, p(100, 5), T0 + 2999, 1).granted).toBe(0);
      expect(take(faster, p(100, 5), T0 + 3010, 1).granted).toBe(1);
    });

    it('lets a longer existing hold win over a shorter one', () => {
      const held = drain({ tokens: 0, updatedAt: T0 + 5000 }, p(1, 5), T0, T0 + 1000);
      expect(held.updatedAt).toBe(T0 + 5000);
    });

    it('still empties the bucket for a deadline in the past', () => {
      expect(drain(fullBucket(p(1, 5), T0), p(1, 5), T0, T0 - 10)).toEqual({
        tokens: 0,
        updatedAt: T0,
      });
    });
  });

  describe('reconfigure', () => {
    it('refills at the old rate up to now, then clamps to the new burst', () => {
      const s = { tokens: 0, updatedAt: T0 };
      expect(reconfigure(s, p(2, 10), p(50, 10), T0 + 1000)).toEqual({
        tokens: 2,
        updatedAt: T0 + 1000,
      });
      expect(reconfigure(fullBucket(p(2, 10), T0), p(2, 10), p(2, 3), T0).tokens).toBe(3);
    });
  });

  it('msUntil is 0 when the tokens are there', () => {
    expect(msUntil({ tokens: 2, updatedAt: T0 }, p(1, 5), T0, 2)).toBe(0);
  });

  describe('batch reserve (keepMs)', () => {
    it('leaves keepMs of refill behind, never more than burst - 1 or half the burst', () => {
      expect(reserveTokens(p(2, 4), 30)).toBeCloseTo(0.06, 12);
      expect(reserveTokens(p(2000, 10), 30)).toBe(5);
      expect(reserveTokens(p(2, 1), 30)).toBe(0);
      expect(reserveTokens(p(5, 1), 30)).toBe(0);
      expect(reserveTokens(p(5, 4))).toBe(0);
    });

    it('grants a batch only above the reserve and waits exactly for one token above it', () => {
      const full = fullBucket(p(2, 4), T0);
      expect(take(full, p(2, 4), T0, 10, { partial: true, keepMs: 30 }).granted).toBe(3);
      const empty = { tokens: 0, updatedAt: T0 };
      const out = take(empty, p(2, 4), T0, 1, { partial: true, keepMs: 30 });
      expect(out.granted).toBe(0);
      expect(out.waitMs).toBe(530);
      expect(take(empty, p(2, 4), T0 + 530, 1, { partial: true, keepMs: 30 }).granted).toBe(1);
      // All-or-nothing takes are not affected.
      expect(take(full, p(2, 4), T0, 4).granted).toBe(4);
    });
  });
});
