import http from 'node:http';
import https from 'node:https';
import {
  GatewayError,
  NotStartedError,
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

/*
 * node:http with keep-alive agents rather than global fetch: measured here, fetch spent
 * 0.7-1.1 ms of CPU per request against 0.1-0.3 ms, and its event-loop stalls delayed
 * requests after their tokens (see RATE_LIMIT_JITTER_MS).
 */
const AGENTS = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 1024 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 1024 }),
} as const;

interface RawAnswer {
  status: number;
  body: string;
  retryAfter: string | null;
}

function send(
  post: GatewayPost,
  signal: AbortSignal,
  mayStart?: () => boolean,
): Promise<RawAnswer> {
  const url = new URL(post.url);
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      url,
      {
        method: 'POST',
        headers: { ...post.headers, 'content-length': Buffer.byteLength(post.body) },
        agent: AGENTS[url.protocol as keyof typeof AGENTS],
        signal,
      },
      (res) => {
        // Read to the end (so the connection is reused) but keep only the start.
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on('data', (chunk: Buffer) => {
          if (kept < BODY_KEEP * 4) {
            chunks.push(chunk);
            kept += chunk.length;
          }
        });
        res.on('error', reject);
        res.on('aborted', () =>
          reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })),
        );
        res.on('end', () => {
          const retryAfter = res.headers['retry-after'];
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8').slice(0, BODY_KEEP),
            retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
          });
        });
      },
    );
    req.on('error', reject);
    if (!mayStart) {
      req.end(post.body);
      return;
    }
    // Written in the tick that asks: with a connected socket the bytes go to the kernel
    // synchronously, so nothing is left to go out after a check that has gone stale.
    const start = () => {
      if (mayStart()) req.end(post.body);
      else req.destroy(new NotStartedError());
    };
    req.once('socket', (socket) => {
      if (socket.connecting) socket.once('connect', start);
      else start();
    });
  });
}

/**
 * One POST to an HTTP gateway, mapped to the gateway contract: 2xx answers; 429/5xx,
 * timeouts and network errors reject with TransientGatewayError; other statuses with
 * PermanentGatewayError. If `signal` (shutdown) aborts, its abort error is rethrown as is.
 */
export async function postToGateway(
  post: GatewayPost,
  signal?: AbortSignal,
  mayStart?: () => boolean,
): Promise<SmsGatewayAnswer> {
  const timeout = AbortSignal.timeout(post.timeoutMs);
  const started = performance.now();
  let answer: RawAnswer;
  try {
    answer = await send(post, signal ? AbortSignal.any([signal, timeout]) : timeout, mayStart);
  } catch (err) {
    if (err instanceof NotStartedError) throw err;
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : err;
    throw failureError(err, timeout.aborted, post.timeoutMs);
  }
  const latencyMs = Math.round(performance.now() - started);
  const { status, body, retryAfter } = answer;
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
  return message || 'request failed';
}
