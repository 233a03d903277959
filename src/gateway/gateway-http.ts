import {
  GatewayError,
  PermanentGatewayError,
  SmsGatewayAnswer,
  TransientGatewayError,
} from './sms-gateway.js';

const BODY_KEEP = 500;
const MESSAGE_BODY_KEEP = 200;

export interface GatewayPost {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

/**
 * One POST to an HTTP gateway, mapped to the gateway contract: 2xx answers; 429/5xx,
 * timeouts and network errors reject with TransientGatewayError; other statuses with
 * PermanentGatewayError. If `signal` (shutdown) aborts, its abort error is rethrown as is.
 * Global fetch (undici) keeps connections alive; the body is always read so they are reused.
 */
export async function postToGateway(
  post: GatewayPost,
  signal?: AbortSignal,
): Promise<SmsGatewayAnswer> {
  const timeout = AbortSignal.timeout(post.timeoutMs);
  const started = performance.now();
  let status: number;
  let body: string;
  let retryAfter: string | null;
  try {
    const res = await fetch(post.url, {
      method: 'POST',
      headers: post.headers,
      body: post.body,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    status = res.status;
    retryAfter = res.headers.get('retry-after');
    body = (await res.text()).slice(0, BODY_KEEP);
  } catch (err) {
    if (signal?.aborted) throw err;
    throw failureError(err, timeout.aborted, post.timeoutMs);
  }
  const latencyMs = Math.round(performance.now() - started);
  if (status >= 200 && status < 300) return { status, body, latencyMs };
  throw statusError(status, body, retryAfter);
}

export function statusError(status: number, body: string, retryAfter: string | null): GatewayError {
  const snippet = body.slice(0, MESSAGE_BODY_KEEP);
  const message = snippet ? `HTTP ${status}: ${snippet}` : `HTTP ${status}`;
  if (status === 429 || status >= 500) {
    return new TransientGatewayError(message, {
      status,
      body,
      retryAfterMs: parseRetryAfter(retryAfter),
    });
  }
  return new PermanentGatewayError(message, { status, body });
}

/** `Retry-After` in seconds or as an HTTP-date, in ms from now; undefined when absent or bad. */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function failureError(err: unknown, timedOut: boolean, timeoutMs: number): TransientGatewayError {
  if (timedOut) return new TransientGatewayError(`timeout after ${timeoutMs} ms`, { cause: err });
  return new TransientGatewayError(`network error: ${networkReason(err)}`, { cause: err });
}

/** The most telling code in the cause chain: ECONNREFUSED, ECONNRESET, ENOTFOUND, ... */
function networkReason(err: unknown): string {
  let message = '';
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const { code, message: m, cause } = e as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
    if (code === 'UND_ERR_SOCKET') return `ECONNRESET (${String(m)})`;
    if (typeof m === 'string' && m && m !== 'fetch failed') message = m;
    e = cause;
  }
  return message || 'fetch failed';
}
