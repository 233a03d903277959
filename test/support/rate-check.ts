/**
 * Checks of the token-bucket promise from the gateway's side (docs: spec/QUEUE.md, "Rate
 * limit"): in every time window of length t the gateway receives at most
 * `burst + rate * t` requests. Pure functions over arrival times in milliseconds. With
 * SMS_RATE_UNIT=segment (spec/FAIRNESS.md, "Rate unit") the bound counts segments: each
 * arrival then carries its weight, the segments of its SMS.
 */

export interface RateWindow {
  /** Indexes into the sorted arrivals: the window is [sorted[i], sorted[j]]. */
  i: number;
  j: number;
  fromMs: number;
  toMs: number;
  /** toMs - fromMs. */
  spanMs: number;
  /** Requests in the window: j - i + 1. */
  count: number;
  /** What the bound counts in the window: its requests, or the sum of their weights. */
  weight: number;
  /** burst + rate * spanMs / 1000. */
  bound: number;
}

export interface WorstWindow {
  /**
   * max over all windows [a_i, a_j] of count - (burst + rate * t): 0 or less means the bound
   * holds everywhere. -Infinity when there are no arrivals.
   */
  excess: number;
  /** The same with every window stretched by `slackMs` (clock slack): what a check should use. */
  excessWithSlack: number;
  slackMs: number;
  /** The window reaching `excess` (both excesses have the same worst window); null if empty. */
  window: RateWindow | null;
  /** excessWithSlack <= 0 (up to floating-point noise). */
  holds: boolean;
}

/** Floating-point noise allowed when comparing counts with the real-valued bound. */
const EPSILON = 1e-9;

/**
 * The worst excess over ALL windows [a_i, a_j] (i <= j) of the sorted arrivals against
 * `burst + rate * t`, in O(n log n) (the sort) + O(n).
 *
 * For a window [a_i, a_j] the excess is
 *   (j - i + 1) - burst - rate * (a_j - a_i) / 1000
 *   = [(j + 1) - rate * a_j / 1000] - [i - rate * a_i / 1000] - burst,
 * so for each j the worst i is the one minimising `i - rate * a_i / 1000` over i <= j: one
 * pass with a running minimum. Ties in arrival time are handled naturally (the smallest i and
 * the largest j of equal times win). Windows that do not start and end on an arrival cannot
 * be worse, since shrinking a window to its first and last arrival keeps its count and lowers
 * its bound. The slack extends every window by `slackMs`, i.e. subtracts rate * slackMs / 1000.
 *
 * With `weights` (weights[k] belongs to arrivalsMs[k], each > 0) a window counts the sum of
 * its weights instead of j - i + 1: the same pass over prefix sums W, with W(j+1) - W(i) in
 * place of (j + 1) - i.
 */
export function worstWindow(
  arrivalsMs: readonly number[],
  rate: number,
  burst: number,
  slackMs = 5,
  weights?: readonly number[],
): WorstWindow {
  if (!(rate > 0) || !(burst >= 0)) throw new RangeError(`rate ${rate}, burst ${burst}`);
  if (weights && (weights.length !== arrivalsMs.length || !weights.every((w) => w > 0))) {
    throw new RangeError('one weight > 0 per arrival');
  }
  const order = arrivalsMs.map((_, k) => k).sort((x, y) => arrivalsMs[x] - arrivalsMs[y]);
  const a = order.map((k) => arrivalsMs[k]);
  // upTo[k]: the weight of the first k sorted arrivals.
  const upTo = [0];
  for (const k of order) upTo.push(upTo[upTo.length - 1] + (weights ? weights[k] : 1));
  const perMs = rate / 1000;
  let best = -Infinity;
  let bestI = -1;
  let bestJ = -1;
  let minKey = Infinity;
  let minI = -1;
  for (let j = 0; j < a.length; j++) {
    const key = upTo[j] - perMs * a[j];
    if (key < minKey) {
      minKey = key;
      minI = j;
    }
    const excess = upTo[j + 1] - perMs * a[j] - minKey - burst;
    if (excess > best) {
      best = excess;
      bestI = minI;
      bestJ = j;
    }
  }
  const excessWithSlack = best - perMs * slackMs;
  if (bestJ < 0) {
    return { excess: best, excessWithSlack, slackMs, window: null, holds: true };
  }
  const spanMs = a[bestJ] - a[bestI];
  const weight = upTo[bestJ + 1] - upTo[bestI];
  return {
    // Recomputed from the window itself, so the figure is not a difference of large numbers.
    excess: weight - (burst + perMs * spanMs),
    excessWithSlack: weight - (burst + perMs * (spanMs + slackMs)),
    slackMs,
    window: {
      i: bestI,
      j: bestJ,
      fromMs: a[bestI],
      toMs: a[bestJ],
      spanMs,
      count: bestJ - bestI + 1,
      weight,
      bound: burst + perMs * spanMs,
    },
    holds: excessWithSlack <= EPSILON,
  };
}

/**
 * The sending rate of a backlog that starts with a full bucket, in requests per second:
 * `(n - burst) / ((last - first) / 1000)`.
 *
 * Why not `(n - 1) / (last - first)`: a full bucket lets the first `burst` requests go at
 * once, and only the following ones are paced. In the ideal schedule the first `burst`
 * arrive at t0 and request k (k > burst) at t0 + (k - burst) / rate, so the last one arrives
 * (n - burst) / rate after the first: this definition gives exactly `rate` for a limiter that
 * wastes nothing, and less for one that loses time (e.g. sleeps too long between tokens).
 * `(n - 1) / span` would count the burst as paced traffic and overstate the rate (59/28 s =
 * 2.11/s for 60 requests at 2/s with burst 4), hiding a limiter that is up to 5 % too slow.
 *
 * Returns null when it is undefined: n <= burst or all arrivals at one instant.
 */
export function achievedRate(arrivalsMs: readonly number[], burst: number): number | null {
  const n = arrivalsMs.length;
  if (n <= burst) return null;
  let first = Infinity;
  let last = -Infinity;
  for (const t of arrivalsMs) {
    if (t < first) first = t;
    if (t > last) last = t;
  }
  if (last <= first) return null;
  return (n - burst) / ((last - first) / 1000);
}

/**
 * QUEUE.md's promise as a bench figure: the worst window's excess over `burst + rate × t`
 * across all arrivals at the gateway (with `slackMs` of clock slack); ok when ≤ 0. Prints it,
 * and a broken bound also goes into `failures`.
 */
export function checkBound(
  arrivalsMs: readonly number[],
  rate: number,
  burst: number,
  failures: string[],
  slackMs = 5,
) {
  const w = worstWindow(arrivalsMs, rate, burst, slackMs);
  const value = Math.round(w.excessWithSlack * 1000) / 1000;
  console.log(
    `rate bound over all ${arrivalsMs.length} arrivals: worst excess ${value} (≤ 0 holds)`,
  );
  if (!w.holds) failures.push(`the rate bound broke: worst window excess ${value}`);
  return {
    name: `worst window excess over ${burst} + ${rate} × t`,
    value,
    unit: 'requests',
    target: '≤ 0',
    ok: w.holds,
  };
}
