/** The contract between the queue and whatever actually delivers an SMS. */
export interface SmsSendRequest {
  /** E.164 with the leading `+`. */
  to: string;
  text: string;
  /**
   * Asked right before the request's first byte goes out, in the same tick as the write: false
   * and it is not made (the send rejects with NotStartedError). The queue checks there that
   * its lease, the pause switch and the job still allow it: a process frozen between its own
   * check and the write learns it on waking, before anything reaches the gateway.
   */
  mayStart?: () => boolean;
}

/** The request was not made: `mayStart` said no. Nothing reached the gateway. */
export class NotStartedError extends Error {
  constructor() {
    super('request not started');
    this.name = 'NotStartedError';
  }
}

export interface SmsGatewayAnswer {
  status: number;
  /** The first 500 characters of the gateway's answer. */
  body: string;
  latencyMs: number;
  /** The gateway's id of the SMS, when its answer names one (delivery receipts refer to it). */
  messageId?: string;
}

export interface SmsGateway {
  readonly name: string;
  /**
   * Resolves on success; rejects with a TransientGatewayError (retry later) or a
   * PermanentGatewayError (do not retry). When `signal` aborts, rejects with its abort error.
   */
  send(req: SmsSendRequest, signal?: AbortSignal): Promise<SmsGatewayAnswer>;
}

/** `message` is what gets stored for the user, e.g. `HTTP 400: <body>`. */
export class GatewayError extends Error {
  status?: number;
  body?: string;

  constructor(message: string, opts: { status?: number; body?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.status = opts.status;
    this.body = opts.body;
  }
}

/** Worth retrying: timeouts, network errors, HTTP 429 and 5xx. */
export class TransientGatewayError extends GatewayError {
  retryAfterMs?: number;
  /** True for HTTP 429: the gateway throttles all our traffic. */
  throttled: boolean;

  constructor(
    message: string,
    opts: { status?: number; body?: string; cause?: unknown; retryAfterMs?: number } = {},
  ) {
    super(message, opts);
    this.retryAfterMs = opts.retryAfterMs;
    this.throttled = opts.status === 429;
  }
}

/** Retrying cannot help (other 4xx). */
export class PermanentGatewayError extends GatewayError {}

export const SMS_GATEWAY = Symbol('SMS_GATEWAY');
