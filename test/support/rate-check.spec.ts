import { describe, expect, it } from '@jest/globals';
import { achievedRate, worstWindow } from './rate-check.js';

/** The ideal schedule of a full bucket: `burst` at t0, then one every 1000/rate ms. */
function ideal(n: number, rate: number, burst: number, t0 = 1_000_000): number[] {
  return Array.from({ length: n }, (_, k) =>
    k < burst ? t0 : t0 + ((k - burst + 1) * 1000) / rate,
  );
}

/** O(n²) reference: every pair of arrivals (each weighing `weights[k]`, else 1). */
function bruteForce(arrivals: number[], rate: number, burst: number, weights?: number[]): number {
  const order = arrivals.map((_, k) => k).sort((x, y) => arrivals[x] - arrivals[y]);
  const a = order.map((k) => arrivals[k]);
  const w = order.map((k) => weights?.[k] ?? 1);
  let worst = -Infinity;
  for (let i = 0; i < a.length; i++) {
    let sum = 0;
    for (let j = i; j < a.length; j++) {
      sum += w[j];
      worst = Math.max(worst, sum - (burst + (rate * (a[j] - a[i])) / 1000));
    }
  }
  return worst;
}

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('worstWindow', () => {
  it('holds with no arrivals', () => {
    const w = worstWindow([], 2, 4);
    expect(w.holds).toBe(true);
    expect(w.window).toBeNull();
    expect(w.excess).toBe(-Infinity);
  });

  it('a single arrival is 1 - burst below the bound', () => {
    const w = worstWindow([123], 2, 4);
    expect(w.excess).toBeCloseTo(-3, 9);
    expect(w.window).toMatchObject({ i: 0, j: 0, count: 1, spanMs: 0 });
  });

  it('the ideal schedule of a full bucket sits exactly on the bound', () => {
    const w = worstWindow(ideal(60, 2, 4), 2, 4);
    expect(w.excess).toBeCloseTo(0, 9);
    expect(w.excessWithSlack).toBeCloseTo(-0.01, 9);
    expect(w.holds).toBe(true);
  });

  it('one request a millisecond early breaks the exact bound but not the 5 ms slack', () => {
    const a = ideal(20, 2, 4);
    a[10] -= 1;
    const w = worstWindow(a, 2, 4);
    expect(w.excess).toBeCloseTo(0.002, 9);
    expect(w.excessWithSlack).toBeCloseTo(-0.008, 9);
    expect(w.holds).toBe(true);
  });

  it('one request 10 ms early breaks the bound even with the slack', () => {
    const a = ideal(20, 2, 4);
    a[10] -= 10;
    const w = worstWindow(a, 2, 4);
    expect(w.excessWithSlack).toBeCloseTo(0.01, 9);
    expect(w.holds).toBe(false);
    expect(w.window).toMatchObject({ j: 10, count: w.window!.j - w.window!.i + 1 });
    expect(w.window!.toMs).toBe(a[10]);
  });

  it('a burst larger than the capacity is an excess of whole requests', () => {
    const w = worstWindow([5, 5, 5, 5, 5, 5], 2, 4);
    expect(w.excess).toBeCloseTo(2, 9);
    expect(w.window).toMatchObject({ i: 0, j: 5, count: 6, spanMs: 0 });
    expect(w.holds).toBe(false);
  });

  it('finds a violation in the middle of a long, otherwise slow run', () => {
    // One every 2 s (a quarter of the rate) with a gap, and 7 in 1 s inside it: 7 > 4 + 2 * 1.
    const a = Array.from({ length: 50 }, (_, k) => k * 2000).filter(
      (t) => t !== 40_000 && t !== 42_000,
    );
    for (let k = 0; k < 7; k++) a.push(40_100 + (k * 1000) / 6);
    const w = worstWindow(a, 2, 4);
    expect(w.excess).toBeCloseTo(1, 9);
    expect(w.window).toMatchObject({ fromMs: 40_100, toMs: 41_100, count: 7 });
  });

  it('does not depend on the input order', () => {
    const a = ideal(30, 2, 4);
    a[7] -= 40;
    const reversed = [...a].reverse();
    expect(worstWindow(reversed, 2, 4).excess).toBeCloseTo(worstWindow(a, 2, 4).excess, 9);
  });

  it('agrees with the O(n²) definition on random arrivals, ties included', () => {
    const random = rng(42);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(random() * 60);
      const rate = 0.5 + random() * 20;
      const burst = 1 + Math.floor(random() * 8);
      // Coarse times make ties common.
      const a = Array.from({ length: n }, () => Math.round(random() * 40) * 50);
      const w = worstWindow(a, rate, burst);
      expect(w.excess).toBeCloseTo(bruteForce(a, rate, burst), 6);
      expect(w.excessWithSlack).toBeCloseTo(w.excess - (rate * 5) / 1000, 9);
      const win = w.window!;
      expect(win.count).toBe(win.j - win.i + 1);
      expect(win.count - win.bound).toBeCloseTo(w.excess, 9);
    }
  });
});

describe('worstWindow with weights (SMS_RATE_UNIT=segment)', () => {
  it('weights of one change nothing', () => {
    const a = ideal(30, 2, 4);
    a[7] -= 40;
    const w = worstWindow(
      a,
      2,
      4,
      5,
      a.map(() => 1),
    );
    expect(w.excess).toBeCloseTo(worstWindow(a, 2, 4).excess, 9);
    expect(w.window!.weight).toBe(w.window!.count);
  });

  it('3-segment requests paced at rate / 3 sit on the bound; at rate / 2 they break it', () => {
    // 9 segments/s, burst 9: three requests at once, then one every 1/3 s.
    const paced = Array.from({ length: 30 }, (_, k) => (k < 3 ? 0 : ((k - 2) * 1000) / 3));
    const threes = paced.map(() => 3);
    expect(worstWindow(paced, 9, 9, 5, threes).excess).toBeCloseTo(0, 9);
    expect(worstWindow(paced, 9, 9, 5, threes).holds).toBe(true);
    // Unweighted, the same arrivals are far below the bound.
    expect(worstWindow(paced, 9, 9).excess).toBeLessThan(-5);
    const fast = Array.from({ length: 30 }, (_, k) => (k < 3 ? 0 : ((k - 2) * 1000) / 4.5));
    const w = worstWindow(fast, 9, 9, 5, threes);
    expect(w.holds).toBe(false);
    expect(w.window!.weight).toBe(3 * w.window!.count);
  });

  it('agrees with the O(n²) definition on random weighted arrivals, ties included', () => {
    const random = rng(7);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(random() * 60);
      const rate = 0.5 + random() * 20;
      const burst = 1 + Math.floor(random() * 10);
      const a = Array.from({ length: n }, () => Math.round(random() * 40) * 50);
      const weights = a.map(() => 1 + Math.floor(random() * 4));
      const w = worstWindow(a, rate, burst, 5, weights);
      expect(w.excess).toBeCloseTo(bruteForce(a, rate, burst, weights), 6);
      expect(w.window!.weight - w.window!.bound).toBeCloseTo(w.excess, 9);
    }
  });

  it('refuses weights that do not match the arrivals', () => {
    expect(() => worstWindow([1, 2], 2, 4, 5, [1])).toThrow(RangeError);
    expect(() => worstWindow([1, 2], 2, 4, 5, [1, 0])).toThrow(RangeError);
  });
});

describe('achievedRate', () => {
  it('is exactly the rate for the ideal schedule of a full bucket', () => {
    expect(achievedRate(ideal(60, 2, 4), 4)).toBeCloseTo(2, 9);
    expect(achievedRate(ideal(121, 2, 4), 4)).toBeCloseTo(2, 9);
  });

  it('shows a limiter that loses 5 ms per token as slower than the rate', () => {
    const a = Array.from({ length: 60 }, (_, k) => (k < 4 ? 0 : (k - 3) * 505));
    const r = achievedRate(a, 4)!;
    expect(r).toBeCloseTo(56 / 28.28, 9);
    expect(r / 2).toBeLessThan(0.995);
  });

  it('is undefined with no more arrivals than the burst, or all at once', () => {
    expect(achievedRate([1, 2, 3, 4], 4)).toBeNull();
    expect(achievedRate([7, 7, 7, 7, 7, 7], 4)).toBeNull();
  });
});
