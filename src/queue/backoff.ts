/**
 * Delay before attempt `attempt + 1` after a transient failure: exponential from `baseMs`,
 * capped at `maxMs`, with "equal jitter" (half fixed, half random) so retries from many
 * recipients spread out instead of arriving together. A gateway's Retry-After is a floor.
 */
export function retryDelayMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  retryAfterMs = 0,
  random: () => number = Math.random,
): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exp / 2 + random() * (exp / 2);
  return Math.max(Math.round(jittered), retryAfterMs);
}
