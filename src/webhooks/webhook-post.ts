import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { isBlockedAddress } from './url-guard.js';

const BODY_KEEP = 200;

export interface WebhookPost {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** WEBHOOK_ALLOW_PRIVATE: skip the address check. */
  allowPrivate: boolean;
}

/** What one attempt came to: a 2xx is a delivery; anything else is retried. */
export interface WebhookAttempt {
  ok: boolean;
  status: number | null;
  error: string | null;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/*
 * The address check runs on the addresses the socket is about to use (a lookup hook), not on
 * an earlier resolution, so a DNS answer that changed since the endpoint was saved (or
 * between a check and the connect) cannot reach a refused address.
 */
function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback) {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const bad = addresses.find((a) => isBlockedAddress(a.address));
    if (bad) {
      const refused = Object.assign(
        new Error(`refused: ${hostname} resolves to ${bad.address} (private address)`),
        { code: 'EADDRREFUSED' },
      );
      return callback(refused, []);
    }
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
}

/*
 * Agents of their own (nothing shared with the SMS gateway's), keep-alive, node:http rather
 * than fetch like src/gateway/http-post.ts. Redirects are never followed: node:http does not.
 */
const agents = (guard: boolean) => ({
  'http:': new http.Agent({
    keepAlive: true,
    maxSockets: 256,
    ...(guard ? { lookup: guardedLookup } : {}),
  }),
  'https:': new https.Agent({
    keepAlive: true,
    maxSockets: 256,
    ...(guard ? { lookup: guardedLookup } : {}),
  }),
});
const GUARDED = agents(true);
const OPEN = agents(false);

/** Errors of a kept-alive socket the receiver closed while it sat idle in the pool. */
const STALE_SOCKET = new Set(['ECONNRESET', 'EPIPE']);

/**
 * One POST of a webhook event. Never throws: every failure is an attempt with an error. A
 * request written to a pooled socket that the receiver had just closed (its keep-alive
 * timeout, often 5 s, raced our reuse: on a loaded machine the retry timer can run before the
 * socket's close is read) is made once more on a fresh socket, within the same attempt: no
 * answer came, and a receiver dedupes by event id anyway (CI saw such a reset counted as a
 * failed attempt, and a retry scheduled for a request the receiver never got).
 */
export async function postWebhook(post: WebhookPost): Promise<WebhookAttempt> {
  const first = await postOnce(post);
  return first.staleSocket ? postOnce(post) : first;
}

function postOnce(post: WebhookPost): Promise<WebhookAttempt & { staleSocket?: boolean }> {
  const url = new URL(post.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!post.allowPrivate && isIP(host) && isBlockedAddress(host)) {
    return Promise.resolve({
      ok: false,
      status: null,
      error: `refused: ${host} is a private address`,
    });
  }
  const lib = url.protocol === 'https:' ? https : http;
  const pool = post.allowPrivate ? OPEN : GUARDED;
  return new Promise((resolve) => {
    let answered = false;
    const req = lib.request(
      url,
      {
        method: 'POST',
        headers: { ...post.headers, 'content-length': Buffer.byteLength(post.body) },
        agent: pool[url.protocol as keyof typeof pool],
        signal: AbortSignal.timeout(post.timeoutMs),
      },
      (res) => {
        answered = true;
        let kept = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (kept.length < BODY_KEEP) kept += chunk;
        });
        res.on('error', () => undefined);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve({ ok: true, status, error: null });
          const where = res.headers.location;
          const error =
            status >= 300 && status < 400
              ? `redirect (HTTP ${status}${where ? ` to ${where.slice(0, 200)}` : ''}) not followed`
              : `HTTP ${status}${kept ? `: ${kept.slice(0, BODY_KEEP)}` : ''}`;
          resolve({ ok: false, status, error });
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (req.reusedSocket && !answered && STALE_SOCKET.has(err.code ?? '')) {
        return resolve({ ok: false, status: null, error: err.code!, staleSocket: true });
      }
      const timedOut = err.name === 'AbortError' || err.name === 'TimeoutError';
      const error = timedOut
        ? `timeout after ${post.timeoutMs} ms`
        : err.message.startsWith('refused:')
          ? err.message
          : `network error: ${err.code ?? err.message}`;
      resolve({ ok: false, status: null, error });
    });
    req.end(post.body);
  });
}
