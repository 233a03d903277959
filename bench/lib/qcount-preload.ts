/**
 * Opt-in counters for the cluster benches: loaded into an app child with
 * `NODE_OPTIONS=--import <this file>`, it counts the app's SQL statements by kind (bucket
 * take, claim, result record, release, pause check, ...), the tokens granted and rows claimed,
 * the time spent waiting for each kind and the process's CPU time (all cumulative), and the
 * event-loop delay of the last interval (p99, max), once a second (and at exit) as one stderr
 * line:
 *
 *   BENCH-TRACE qcount {"t":<wall ms>,"q":{"take":{"n":..,"ms":..},...},"granted":..,...}
 *
 * (The `BENCH-TRACE ` prefix keeps these lines out of startApp's failure dumps.) It only wraps
 * pg's Client#query to observe it; the app is unchanged.
 */
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { QCOUNT_PREFIX } from './qcount-prefix.js';

type Query = (this: unknown, ...args: unknown[]) => unknown;

const require = createRequire(import.meta.url);
const pg = require('pg') as { Client: { prototype: { query: Query } } };

const KINDS: [string, (sql: string) => boolean][] = [
  ['take', (s) => s.includes('rate_limit_buckets') && s.includes('FOR UPDATE')],
  ['claim', (s) => s.includes('WITH picked AS')],
  ['record', (s) => s.includes('INSERT INTO send_stats')],
  ['release', (s) => s.includes('attempts = greatest(attempts - 1')],
  ['reclaim', (s) => s.includes('lease_expires_at < clock_timestamp()')],
  ['paused', (s) => s.includes("key = 'queue_paused'")],
  ['heartbeat', (s) => s.includes('workers')],
  ['next_due', (s) => s.includes('min(next_attempt_at)')],
];

const counts: Record<string, { n: number; ms: number }> = {};
let granted = 0;
let claimed = 0;
let claimsEmpty = 0;
let takesRefused = 0;

function kindOf(sql: string): string {
  for (const [kind, test] of KINDS) if (test(sql)) return kind;
  return 'other';
}

function observe(kind: string, started: number, res: { rows?: Record<string, unknown>[] }): void {
  const c = (counts[kind] ??= { n: 0, ms: 0 });
  c.n++;
  c.ms += performance.now() - started;
  const rows = res.rows ?? [];
  if (kind === 'take') {
    const g = Number(rows[0]?.granted ?? 0);
    granted += g;
    if (g === 0) takesRefused++;
  } else if (kind === 'claim') {
    claimed += rows.length;
    if (rows.length === 0) claimsEmpty++;
  }
}

type Callback = (err: unknown, res: { rows?: Record<string, unknown>[] }) => void;

const originalQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
  const config = args[0] as string | { text?: string } | undefined;
  const text = typeof config === 'string' ? config : config?.text;
  const kind = text ? kindOf(text) : undefined;
  const started = performance.now();
  // pg.Pool#query hands the client a callback (no promise comes back).
  const last = args.length - 1;
  if (kind && typeof args[last] === 'function') {
    const callback = args[last] as Callback;
    args[last] = ((err, res) => {
      if (!err) observe(kind, started, res);
      callback(err, res);
    }) satisfies Callback;
  }
  const result = originalQuery.apply(this, args);
  if (kind && result instanceof Promise)
    result.then(
      (res: { rows?: Record<string, unknown>[] }) => observe(kind, started, res),
      () => undefined,
    );
  return result;
};

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

function emit(): void {
  const cpu = process.cpuUsage();
  const q = Object.fromEntries(
    Object.entries(counts).map(([k, v]) => [k, { n: v.n, ms: Math.round(v.ms) }]),
  );
  process.stderr.write(
    `${QCOUNT_PREFIX}${JSON.stringify({
      t: Math.round(performance.timeOrigin + performance.now()),
      q,
      granted,
      takes_refused: takesRefused,
      claimed,
      claims_empty: claimsEmpty,
      cpu_ms: Math.round((cpu.user + cpu.system) / 1000),
      loop_p99_ms: Math.round((loop.percentile(99) / 1e6) * 10) / 10,
      loop_max_ms: Math.round((loop.max / 1e6) * 10) / 10,
    })}\n`,
  );
  loop.reset();
}

setInterval(emit, 1000).unref();
process.on('exit', emit);
