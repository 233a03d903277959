import { PermanentGatewayError, TransientGatewayError } from '../gateway/sms-gateway.js';
import { retryDelayMs } from './backoff.js';
import type { SendResult } from './queue.repository.js';

export interface RetryPolicy {
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
}

export interface FailureOutcome {
  result: Pick<SendResult, 'outcome' | 'error' | 'retryInMs'>;
  /** Set for a 429: how long the whole cluster must hold off. */
  holdOffMs?: number;
}

/**
 * What a failed gateway request means for its recipient (QUEUE.md, Failures): a permanent
 * error fails it at once; a transient one is retried after a backoff (a Retry-After is a
 * floor) until the attempts run out; a 429 also holds off all sending.
 */
export function failureOutcome(
  err: unknown,
  attempts: number,
  policy: RetryPolicy,
  interruptedByShutdown: boolean,
  random: () => number = Math.random,
): FailureOutcome {
  const error = err instanceof Error ? err.message : String(err);
  if (err instanceof PermanentGatewayError)
    return { result: { outcome: 'failed', error, retryInMs: 0 } };
  const transient = err instanceof TransientGatewayError ? err : undefined;
  const delay = retryDelayMs(
    attempts,
    policy.baseMs,
    policy.maxMs,
    transient?.retryAfterMs,
    random,
  );
  const holdOffMs = transient?.throttled ? (transient.retryAfterMs ?? delay) : undefined;
  if (interruptedByShutdown) {
    // Stopped mid-request: the gateway may or may not have it; the next holder sends it.
    return {
      result: { outcome: 'retry', error: 'interrupted by shutdown', retryInMs: 0 },
      holdOffMs,
    };
  }
  if (attempts >= policy.maxAttempts)
    return { result: { outcome: 'failed', error, retryInMs: 0 }, holdOffMs };
  return { result: { outcome: 'retry', error, retryInMs: delay }, holdOffMs };
}
