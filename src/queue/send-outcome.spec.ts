import { describe, expect, it } from '@jest/globals';
import { PermanentGatewayError, TransientGatewayError } from '../gateway/sms-gateway.js';
import { failureOutcome } from './send-outcome.js';

const policy = { maxAttempts: 3, baseMs: 1000, maxMs: 60000 };
const top = () => 1;

describe(failureOutcome.name, () => {
  it('fails a permanent error at once, keeping the message', () => {
    const err = new PermanentGatewayError('HTTP 400: bad number', { status: 400 });
    expect(failureOutcome(err, 1, policy, false, top)).toEqual({
      result: { outcome: 'failed', error: 'HTTP 400: bad number', retryInMs: 0 },
    });
  });

  it('retries a transient error with backoff until the attempts run out', () => {
    const err = new TransientGatewayError('HTTP 503: busy', { status: 503 });
    expect(failureOutcome(err, 1, policy, false, top).result).toEqual({
      outcome: 'retry',
      error: 'HTTP 503: busy',
      retryInMs: 1000,
    });
    expect(failureOutcome(err, 2, policy, false, top).result.retryInMs).toBe(2000);
    expect(failureOutcome(err, 3, policy, false, top).result).toEqual({
      outcome: 'failed',
      error: 'HTTP 503: busy',
      retryInMs: 0,
    });
  });

  it('waits at least Retry-After, and a 429 holds everything off that long', () => {
    const err = new TransientGatewayError('HTTP 429: slow down', {
      status: 429,
      retryAfterMs: 5000,
    });
    expect(failureOutcome(err, 1, policy, false, top)).toEqual({
      result: { outcome: 'retry', error: 'HTTP 429: slow down', retryInMs: 5000 },
      holdOffMs: 5000,
    });
    const noHeader = new TransientGatewayError('HTTP 429: slow down', { status: 429 });
    expect(failureOutcome(noHeader, 2, policy, false, top).holdOffMs).toBe(2000);
    expect(
      failureOutcome(
        new TransientGatewayError('HTTP 503', { status: 503, retryAfterMs: 5000 }),
        1,
        policy,
        false,
        top,
      ).holdOffMs,
    ).toBeUndefined();
  });

  it('treats unknown errors as transient and a shutdown interruption as a retry without delay', () => {
    expect(failureOutcome(new Error('socket hang up'), 1, policy, false, top).result.outcome).toBe(
      'retry',
    );
    expect(failureOutcome(new Error('aborted'), 3, policy, true, top).result).toEqual({
      outcome: 'retry',
      error: 'interrupted by shutdown',
      retryInMs: 0,
    });
  });
});
