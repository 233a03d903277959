/**
 * Token-bucket maths, pure (no I/O, no clock): every store applies these rules, the
 * PostgreSQL store in SQL with the same formulas. Times are epoch milliseconds.
 */
export interface BucketState {
  tokens: number;
  /** Time up to which `tokens` is accounted. In the future while a drain holds the bucket. */
  updatedAt: number;
}

export interface BucketParams {
  msgsPerSec: number;
  burstCapacity: number;
}

export interface TakeOutcome {
  granted: number;
  state: BucketState;
  /** 0 when something was granted; else ms until the requested tokens are due (>= 1). */
  waitMs: number;
}

/**
 * Floating-point slack when comparing token counts: after sleeping exactly `waitMs`,
 * 0.1 + 0.9 may come out as 0.9999999999; without it the waiter would sleep 1 ms more.
 * Over-granting 1e-9 of a token is far below any clock slack.
 */
export const TOKEN_EPSILON = 1e-9;

/**
 * The share of the configured rate every store refills at. Their clocks (PostgreSQL's
 * `clock_timestamp()`, the process's `Date.now()`) are the wall clock, which NTP slews by up
 * to 500 ppm; a gateway counting with a steadier clock then sees the rate exceeded by as much,
 * and at full rate for minutes that outgrows any burst (measured here: the wall clock ran
 * 22-68 ppm fast, and bench/high-rate saw 2 000.15/s with 2 000/s set, the window bound broken
 * by 2.8 requests beyond its slack). Refilling 0.1 % slower keeps every window at the gateway
 * within burst + rate × t whatever the slew. The functions below take the rate they are
 * given; stores hand them `refillParams(settings)`.
 */
export const REFILL_SHARE = 0.999;

/** The parameters a store runs the bucket maths with: the refill at `share` of the rate. */
export const refillParams = (params: BucketParams, share = REFILL_SHARE): BucketParams => ({
  ...params,
  msgsPerSec: params.msgsPerSec * share,
});

export function fullBucket(params: BucketParams, now: number): BucketState {
  return { tokens: params.burstCapacity, updatedAt: now };
}

/** Accrues tokens since `updatedAt`, capped at the burst. Never moves time backwards. */
export function refill(state: BucketState, params: BucketParams, now: number): BucketState {
  const elapsed = Math.max(0, now - state.updatedAt);
  return {
    tokens: Math.min(params.burstCapacity, state.tokens + (elapsed * params.msgsPerSec) / 1000),
    updatedAt: Math.max(state.updatedAt, now),
  };
}

/** Ms from `now` until an already-refilled `state` holds `needed` tokens (0 if it does). */
export function msUntil(
  state: BucketState,
  params: BucketParams,
  now: number,
  needed: number,
): number {
  const missing = needed - state.tokens;
  if (missing <= TOKEN_EPSILON && state.updatedAt <= now) return 0;
  // Relative to `now` (not epoch-sized sums, whose rounding is ~0.0002 ms) and rounded up,
  // less the time TOKEN_EPSILON takes to accrue, so waking after waitMs finds the tokens
  // there. At least 1 ms, so a refused caller never retries in a tight loop.
  const wait = state.updatedAt - now + (Math.max(0, missing) * 1000) / params.msgsPerSec;
  return Math.max(1, Math.ceil(wait - (TOKEN_EPSILON * 1000) / params.msgsPerSec));
}

/**
 * Tokens a batch take leaves in the bucket: what accrues in `keepMs` at the rate, but never
 * so much that a bucket of `burst` could not grant one token, nor more than half of it.
 */
export function reserveTokens(params: BucketParams, keepMs = 0): number {
  // At most half the bucket, so a burst smaller than rate × keepMs still grants batches
  // (one token per take would cost a database round trip per SMS at high rates).
  const cap = Math.min(params.burstCapacity - 1, params.burstCapacity / 2);
  return Math.max(0, Math.min((params.msgsPerSec * keepMs) / 1000, cap));
}

/**
 * Refills, then debits. All-or-nothing grants `n` or 0; `partial` grants
 * min(n, floor(tokens - reserve)) and, when that is 0, waits for one token above the
 * reserve (see reserveTokens: `keepMs` of refill are left behind).
 * All-or-nothing with n > burstCapacity could never succeed, so it throws a RangeError
 * instead of letting a caller wait forever.
 */
export function take(
  state: BucketState,
  params: BucketParams,
  now: number,
  n: number,
  opts: { partial?: boolean; keepMs?: number } = {},
): TakeOutcome {
  assertCount(n, params, opts.partial ?? false);
  const s = refill(state, params, now);
  const available = s.tokens + TOKEN_EPSILON;
  const reserve = opts.partial ? reserveTokens(params, opts.keepMs) : 0;
  const granted = opts.partial
    ? Math.max(0, Math.min(n, Math.floor(available - reserve)))
    : available >= n
      ? n
      : 0;
  if (granted > 0) {
    return { granted, state: { ...s, tokens: Math.max(0, s.tokens - granted) }, waitMs: 0 };
  }
  return { granted: 0, state: s, waitMs: msUntil(s, params, now, opts.partial ? 1 + reserve : n) };
}

/**
 * Empties the bucket and stops refill until `untilMs`, so the first token is due at
 * untilMs + 1/rate. Holding refill (rather than owing negative tokens) keeps the hold
 * fixed even if the rate is raised meanwhile; a longer existing hold wins.
 */
export function drain(
  state: BucketState,
  params: BucketParams,
  now: number,
  untilMs: number,
): BucketState {
  const s = refill(state, params, now);
  return { tokens: 0, updatedAt: Math.max(s.updatedAt, untilMs) };
}

/** Refills at the old rate up to `now`, then clamps to the new burst. */
export function reconfigure(
  state: BucketState,
  old: BucketParams,
  next: BucketParams,
  now: number,
): BucketState {
  const s = refill(state, old, now);
  return { tokens: Math.min(s.tokens, next.burstCapacity), updatedAt: s.updatedAt };
}

/** Throws a RangeError unless `n` is a whole number of tokens that a take could ever grant. */
export function assertCount(n: number, params: BucketParams | undefined, partial: boolean): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`token count must be an integer >= 1, got ${n}`);
  }
  if (params && !partial && n > params.burstCapacity) {
    throw new RangeError(
      `cannot take ${n} tokens at once: burst capacity is ${params.burstCapacity}`,
    );
  }
}
