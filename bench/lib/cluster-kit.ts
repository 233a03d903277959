/**
 * Shared pieces of the multi-process benches (bench/cluster.ts, bench/high-rate.ts): start one
 * API process and N worker processes on one database, read the workers' statement counters
 * (qcount-preload.ts), and a few pure helpers over gateway arrival times.
 */
import { fileURLToPath } from 'node:url';
import type { AppProcess } from '../../test/support/app-process.js';
import type { BenchDatabase } from '../../test/support/bench-db.js';
import type { FakeGateway } from '../../test/support/fake-gateway.js';
import { type BenchKit, withBench } from './setup.js';
import { QCOUNT_PREFIX } from './qcount-prefix.js';

export const QCOUNT_PRELOAD = fileURLToPath(new URL('./qcount-preload.js', import.meta.url));

export interface ClusterBench extends BenchKit {
  api: AppProcess;
  workers: AppProcess[];
  /** SIGTERM to every process still running (workers first); returns the exit codes. */
  stopAll(): Promise<(number | null)[]>;
}

/**
 * withBench with a cluster: the API process (QUEUE_ROLE=api) first, so that it runs the
 * migrations alone, then `workerCount` worker processes (QUEUE_ROLE=worker) side by side,
 * all with `env(db, gw)`; with `countQueries` the workers load qcount-preload.ts.
 */
export async function withCluster<T = number>(
  label: string,
  env: (db: BenchDatabase, gw: FakeGateway) => Record<string, string>,
  workerCount: number,
  opts: { countQueries?: boolean },
  body: (kit: ClusterBench) => Promise<T>,
): Promise<T> {
  return withBench<T>(label, undefined, async (kit) => {
    const common = env(kit.db, kit.gw);
    const api = await kit.start({ ...common, QUEUE_ROLE: 'api' }, { label: 'api' });
    const preload: Record<string, string> = opts.countQueries
      ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${QCOUNT_PRELOAD}`.trim() }
      : {};
    const workers = await Promise.all(
      Array.from({ length: workerCount }, (_, k) =>
        kit.start({ ...common, ...preload, QUEUE_ROLE: 'worker' }, { label: `worker${k + 1}` }),
      ),
    );
    await api.token();
    const stopAll = async () => {
      const codes: (number | null)[] = [];
      for (const p of [...workers, api]) codes.push(await p.stop());
      return codes;
    };
    return body({ ...kit, api, workers, stopAll });
  });
}

/** What qcount-preload.ts last wrote in a process's output (cumulative since its start). */
export interface QueryCounts {
  t: number;
  q: Record<string, { n: number; ms: number }>;
  granted: number;
  takes_refused: number;
  claimed: number;
  claims_empty: number;
  cpu_ms: number;
  /** Event-loop delay over the second before `t` (not cumulative). */
  loop_p99_ms: number;
  loop_max_ms: number;
}

/** Every qcount line in `output`, oldest first. */
export function parseQueryCounts(output: string): QueryCounts[] {
  const out: QueryCounts[] = [];
  for (const line of output.split('\n')) {
    const at = line.indexOf(QCOUNT_PREFIX);
    if (at < 0) continue;
    try {
      out.push(JSON.parse(line.slice(at + QCOUNT_PREFIX.length)) as QueryCounts);
    } catch {
      // a line cut by the output buffer
    }
  }
  return out;
}

/** The last qcount line written at or before `atMs` (or the first one after it when none). */
export function queryCountsAt(output: string, atMs: number): QueryCounts | undefined {
  const all = parseQueryCounts(output);
  const before = all.filter((c) => c.t <= atMs);
  return before.at(-1) ?? all[0];
}

/**
 * b - a, kind by kind; the event-loop figures become the worst of the intervals between
 * them (taken from `output` when given).
 */
export function diffQueryCounts(
  a: QueryCounts | undefined,
  b: QueryCounts,
  output?: string,
): QueryCounts {
  const between = output
    ? parseQueryCounts(output).filter((c) => c.t > (a?.t ?? -Infinity) && c.t <= b.t)
    : [b];
  const q: QueryCounts['q'] = {};
  for (const [k, v] of Object.entries(b.q)) {
    q[k] = { n: v.n - (a?.q[k]?.n ?? 0), ms: v.ms - (a?.q[k]?.ms ?? 0) };
  }
  return {
    t: b.t,
    q,
    granted: b.granted - (a?.granted ?? 0),
    takes_refused: b.takes_refused - (a?.takes_refused ?? 0),
    claimed: b.claimed - (a?.claimed ?? 0),
    claims_empty: b.claims_empty - (a?.claims_empty ?? 0),
    cpu_ms: b.cpu_ms - (a?.cpu_ms ?? 0),
    loop_p99_ms: Math.max(...between.map((c) => c.loop_p99_ms)),
    loop_max_ms: Math.max(...between.map((c) => c.loop_max_ms)),
  };
}

/** Index of the first element of sorted `a` that is >= x. */
export function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Arrivals per whole second after `fromMs` (index k: [from + k s, from + (k+1) s)). */
export function perSecondCounts(sortedMs: readonly number[], fromMs: number): number[] {
  const counts: number[] = [];
  for (const t of sortedMs) {
    if (t < fromMs) continue;
    const k = Math.floor((t - fromMs) / 1000);
    while (counts.length <= k) counts.push(0);
    counts[k]++;
  }
  return counts;
}

/**
 * How long after `fromMs` the arrivals keep up with a rate: the first instant F (on a 1-ms
 * grid) such that every window [s, s + windowMs) with F <= s and s + windowMs <= endMs holds
 * at least `need` arrivals. 0 when every window from `fromMs` on is fine; null when no window
 * fits before `endMs`.
 */
export function followTimeMs(
  sortedMs: readonly number[],
  fromMs: number,
  endMs: number,
  need: number,
  windowMs = 1000,
): number | null {
  if (endMs - windowMs < fromMs) return null;
  let lastBad = -Infinity;
  for (let s = fromMs; s + windowMs <= endMs; s += 1) {
    const count = lowerBound(sortedMs, s + windowMs) - lowerBound(sortedMs, s);
    if (count < need) lastBad = s;
  }
  return lastBad === -Infinity ? 0 : lastBad + 1 - fromMs;
}

/** The fewest arrivals in any window [s, s + windowMs) with from <= s, s + windowMs <= end. */
export function minWindowCount(
  sortedMs: readonly number[],
  fromMs: number,
  endMs: number,
  windowMs = 1000,
): number | null {
  let min: number | null = null;
  for (let s = fromMs; s + windowMs <= endMs; s += 1) {
    const count = lowerBound(sortedMs, s + windowMs) - lowerBound(sortedMs, s);
    if (min === null || count < min) min = count;
  }
  return min;
}

/**
 * Index k of the first arrival that starts `run` consecutive gaps of at most `maxGapMs`
 * (sorted[k + 1] - sorted[k], ..., sorted[k + run] - sorted[k + run - 1]); -1 when none.
 */
export function firstFastRun(sortedMs: readonly number[], maxGapMs: number, run: number): number {
  let streak = 0;
  for (let i = 1; i < sortedMs.length; i++) {
    streak = sortedMs[i] - sortedMs[i - 1] <= maxGapMs ? streak + 1 : 0;
    if (streak === run) return i - run;
  }
  return -1;
}

/** A compact run-length view of per-second counts: "5 5 5 [x3] 20 ...". */
export function compactCounts(counts: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < counts.length;) {
    let j = i;
    while (j + 1 < counts.length && counts[j + 1] === counts[i]) j++;
    parts.push(j > i ? `${counts[i]}×${j - i + 1}` : String(counts[i]));
    i = j + 1;
  }
  return parts.join(' ');
}
