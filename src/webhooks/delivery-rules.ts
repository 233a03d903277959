/**
 * When a failed webhook delivery is tried again, and when an endpoint is given up on
 * (WEBHOOKS.md): about 10 s, 1 min, 5 min, 30 min, 2 h, 6 h, then every 6 h, until 24 h after
 * the event; an endpoint whose deliveries all failed for 24 h is deactivated. Pure: times
 * come in as epoch ms (from the app's Clock).
 */

export const GIVE_UP_MS = 24 * 3_600_000;

/** Multiples of the base delay (10 s by default): 10 s, 1 min, 5 min, 30 min, 2 h, 6 h. */
const STEPS = [1, 6, 30, 180, 720, 2160];

/** Wait before the attempt after `attempts` failed ones. */
export function retryDelayMs(attempts: number, baseMs: number): number {
  return STEPS[Math.min(Math.max(attempts, 1), STEPS.length) - 1] * baseMs;
}

export type AfterFailure = { status: 'pending'; nextAttemptAt: number } | { status: 'failed' };

/** A delivery failed its `attempts`-th try at `now`; retries stop at `expiresAt`. */
export function afterFailure(
  attempts: number,
  now: number,
  expiresAt: number,
  baseMs: number,
): AfterFailure {
  const next = now + retryDelayMs(attempts, baseMs);
  return next > expiresAt ? { status: 'failed' } : { status: 'pending', nextAttemptAt: next };
}

/** Every attempt since `failingSince` failed and one more just did: give the endpoint up? */
export const shouldDeactivate = (failingSince: number | null, now: number) =>
  failingSince !== null && now - failingSince >= GIVE_UP_MS;
