/**
 * Opt-in diagnostics for the rate bench (BENCH_TRACE=1): loaded into the app child with
 * `NODE_OPTIONS=--import <this file>`, it writes one stderr line per token take, claim and
 * gateway fetch, with wall-clock times on the same base as FakeGateway arrivals:
 *
 *   BENCH-TRACE {"k":"take","s":<start>,"e":<end>,"granted":n}
 *   BENCH-TRACE {"k":"claim","s":<start>,"e":<end>,"phones":[...]}
 *   BENCH-TRACE {"k":"fetch","t":<called>,"to":"+852..."}
 *
 * It only wraps pg's Client#query and global fetch to observe them; the app is unchanged.
 */
import { createRequire } from 'node:module';

type Query = (this: unknown, ...args: unknown[]) => unknown;

const require = createRequire(import.meta.url);
const pg = require('pg') as { Client: { prototype: { query: Query } } };
const now = () => Math.round((performance.timeOrigin + performance.now()) * 10) / 10;
const emit = (o: object) => process.stderr.write(`BENCH-TRACE ${JSON.stringify(o)}\n`);

const originalQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
  const config = args[0] as string | { text?: string } | undefined;
  const text = typeof config === 'string' ? config : config?.text;
  const kind = !text
    ? undefined
    : text.includes('rate_limit_buckets') && text.includes('FOR UPDATE')
      ? 'take'
      : text.includes('WITH picked AS')
        ? 'claim'
        : undefined;
  const s = now();
  const result = originalQuery.apply(this, args);
  if (kind && result instanceof Promise) {
    result.then(
      (res: { rows?: Record<string, unknown>[] }) => {
        const rows = res.rows ?? [];
        emit(
          kind === 'take'
            ? { k: kind, s, e: now(), granted: Number(rows[0]?.granted ?? 0) }
            : { k: kind, s, e: now(), phones: rows.map((r) => r.phone) },
        );
      },
      () => undefined,
    );
  }
  return result;
};

const originalFetch = globalThis.fetch;
globalThis.fetch = function (input: Parameters<typeof fetch>[0], init?: RequestInit) {
  const t = now();
  let to: string | undefined;
  if (typeof init?.body === 'string') {
    try {
      to = (JSON.parse(init.body) as { to?: string }).to;
    } catch {
      // not a JSON gateway body
    }
  }
  if (to) emit({ k: 'fetch', t, to });
  return originalFetch(input, init);
};
