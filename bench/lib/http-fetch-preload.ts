/**
 * Diagnostic only (bench/high-rate.ts with HIGHRATE_HTTP_FETCH=1): loaded into an app child
 * with `NODE_OPTIONS=--import <this file>`, it replaces global fetch for plain-http requests
 * with a minimal implementation on node:http and a keep-alive Agent, to measure what the
 * gateway's HTTP client costs. Node 20's fetch (undici) took ~1 ms of CPU per request on the
 * 2-core bench machine, node:http ~0.3 ms. Covers what src/gateway/gateway-http.ts and
 * warm-up.ts use: method, headers, string body, signal; status, headers.get(), text().
 * Anything else goes to the real fetch. The app's code is unchanged.
 */
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
const realFetch = globalThis.fetch;

interface MiniResponse {
  status: number;
  ok: boolean;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

function httpFetch(url: URL, init: RequestInit): Promise<MiniResponse> {
  return new Promise((resolve, reject) => {
    const signal = init.signal ?? undefined;
    if (signal?.aborted) return reject(signal.reason);
    const body = typeof init.body === 'string' ? init.body : undefined;
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const req = http.request(url, { method: init.method ?? 'GET', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        signal?.removeEventListener('abort', onAbort);
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          ok: (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300,
          headers: {
            get: (name: string) => {
              const v = res.headers[name.toLowerCase()];
              return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
            },
          },
          text: () => Promise.resolve(text),
        });
      });
    });
    const onAbort = () => {
      req.destroy();
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => {
      signal?.removeEventListener('abort', onAbort);
      reject(new TypeError('fetch failed', { cause: err }));
    });
    req.end(body);
  });
}

globalThis.fetch = function (input: Parameters<typeof fetch>[0], init?: RequestInit) {
  const url = typeof input === 'string' ? new URL(input) : input instanceof URL ? input : null;
  const plain =
    url !== null &&
    url.protocol === 'http:' &&
    (init?.body === undefined || typeof init.body === 'string');
  if (!plain) return realFetch(input, init);
  return httpFetch(url, init ?? {}) as unknown as Promise<Response>;
} as typeof fetch;
