import { NotStartedError, type SmsGateway } from '../gateway/sms-gateway.js';
import type { MetricsService } from '../metrics/metrics.service.js';
import type { ClaimedRecipient, Outcome, SendResult } from './queue.repository.js';
import { failureOutcome, type RetryPolicy } from './send-outcome.js';

export interface SendAttempt {
  result: SendResult;
  /** Set for a 429: how long the whole cluster must hold off. */
  holdOffMs?: number;
  /** `mayStart` said no: no request was made, nothing is to be recorded (the SMS goes back). */
  notStarted?: boolean;
}

/**
 * One gateway request for one claimed recipient, turned into the result to record (and
 * counted in the metrics). It never throws: every failure becomes a result.
 */
export class RecipientSender {
  constructor(
    private readonly gateway: SmsGateway,
    private readonly metrics: MetricsService,
    private readonly retryPolicy: RetryPolicy,
  ) {}

  /**
   * `signal` aborts the request (shutdown after the grace period); `mayStart` is asked right
   * before its first byte goes out (see SmsSendRequest).
   */
  async send(
    r: ClaimedRecipient,
    signal: AbortSignal,
    mayStart?: () => boolean,
  ): Promise<SendAttempt> {
    const result: SendResult & { outcome: Outcome } = {
      id: r.id,
      outcome: 'sent',
      error: null,
      response: null,
      retryInMs: 0,
    };
    const started = performance.now();
    let holdOffMs: number | undefined;
    try {
      const answer = await this.gateway.send({ to: r.phone, text: r.content, mayStart }, signal);
      result.response = `HTTP ${answer.status}: ${answer.body.slice(0, 200)}`;
      if (answer.messageId) result.gatewayMessageId = answer.messageId;
    } catch (err) {
      if (err instanceof NotStartedError) return { result, notStarted: true };
      const failure = failureOutcome(err, r.attempts, this.retryPolicy, signal.aborted);
      Object.assign(result, failure.result);
      holdOffMs = failure.holdOffMs;
    }
    this.metrics.recordSend(
      result.outcome,
      this.gateway.name,
      (performance.now() - started) / 1000,
    );
    return { result, holdOffMs };
  }
}
