import { describe, expect, it } from '@jest/globals';
import {
  PermanentGatewayError,
  SmsGateway,
  TransientGatewayError,
} from '../gateway/sms-gateway.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RecipientSender } from './recipient-sender.js';

const policy = { maxAttempts: 3, baseMs: 1000, maxMs: 60000 };
const recipient = {
  id: '7',
  messageId: 1,
  phone: '+85291234567',
  attempts: 1,
  content: 'hi',
  segments: 1,
  cancelled: false,
  suppressed: false,
  validUntil: null,
  window: null,
};

/** A gateway that answers with `answer` or throws it. */
function gatewayThat(answer: Error | { status: number; body: string }): SmsGateway {
  return {
    name: 'test',
    send: async () => {
      if (answer instanceof Error) throw answer;
      return { ...answer, latencyMs: 1 };
    },
  };
}

async function results(metrics: MetricsService, outcome: string): Promise<number> {
  const { values } = await metrics.smsResults.get();
  return values.find((v) => v.labels.result === outcome)?.value ?? 0;
}

describe(RecipientSender.name, () => {
  const send = (answer: Error | { status: number; body: string }, metrics = new MetricsService()) =>
    new RecipientSender(gatewayThat(answer), metrics, policy).send(
      recipient,
      new AbortController().signal,
    );

  it('records a sent SMS with the start of the gateway answer, and counts it', async () => {
    const metrics = new MetricsService();
    const { result, holdOffMs } = await send({ status: 200, body: 'x'.repeat(300) }, metrics);
    expect(result).toEqual({
      id: '7',
      outcome: 'sent',
      error: null,
      response: `HTTP 200: ${'x'.repeat(200)}`,
      retryInMs: 0,
    });
    expect(holdOffMs).toBeUndefined();
    expect(await results(metrics, 'sent')).toBe(1);
  });

  it('turns a permanent error into a failed result without throwing', async () => {
    const metrics = new MetricsService();
    const { result } = await send(
      new PermanentGatewayError('HTTP 400: bad', { status: 400 }),
      metrics,
    );
    expect(result).toMatchObject({ outcome: 'failed', error: 'HTTP 400: bad', response: null });
    expect(await results(metrics, 'failed')).toBe(1);
  });

  it('asks the whole cluster to hold off for a 429 with Retry-After, and retries', async () => {
    const throttled = new TransientGatewayError('HTTP 429', { status: 429, retryAfterMs: 3000 });
    const { result, holdOffMs } = await send(throttled);
    expect(result.outcome).toBe('retry');
    expect(result.retryInMs).toBeGreaterThanOrEqual(3000);
    expect(holdOffMs).toBe(3000);
  });
});
