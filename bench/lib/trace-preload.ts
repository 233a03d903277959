/**
 * Opt-in diagnostics for the rate bench (BENCH_TRACE=1): loaded into the app child with
 * `NODE_OPTIONS=--import <this file>`, it writes one stderr line per token take and claim,
 * with wall-clock times on the same base as FakeGateway arrivals:
 *
 *   BENCH-TRACE {"k":"take","s":<start>,"e":<end>,"granted":n}
 *   BENCH-TRACE {"k":"claim","s":<start>,"e":<end>,"phones":[...]}
 *
 * It only wraps pg's Client#query to observe it; the app is unchanged.
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
