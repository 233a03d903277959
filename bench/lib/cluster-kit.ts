/**
 * Shared pieces of the multi-process benches (bench/cluster.ts, bench/high-rate.ts): start one
 * API process and N worker processes on one database, read the workers' statement counters
 * (qcount-preload.ts), and a few pure helpers over gateway arrival times.
 */
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startApp, type AppProcess } from './app-process.js';
import { benchDatabase, type BenchDatabase } from './bench-db.js';
import { FakeGateway } from './fake-gateway.js';
import { QCOUNT_PREFIX } from './qcount-prefix.js';
import { round } from './util.js';

export const QCOUNT_PRELOAD = fileURLToPath(new URL('./qcount-preload.js', import.meta.url));
export const HTTP_FETCH_PRELOAD = fileURLToPath(
  new URL('./http-fetch-preload.js', import.meta.url),
);

export interface Cluster {
  api: AppProcess;
  workers: AppProcess[];
  /** SIGTERM to every process still running (workers first); returns the exit codes. */
  stop(): Promise<(number | null)[]>;
}

/**
 * Starts the API process (QUEUE_ROLE=api) first, so that it runs the migrations alone, then
 * `workerCount` worker processes (QUEUE_ROLE=worker) side by side. All get `env`; with
 * `countQueries` the workers load qcount-preload.ts, and any `workerImports` after it.
 */
export async function startCluster(
  env: Record<string, string>,
  workerCount: number,
  opts: { countQueries?: boolean; workerImports?: string[] } = {},
): Promise<Cluster> {
  const api = await startApp({ ...env, QUEUE_ROLE: 'api' }, { label: 'api' });
  const imports = [...(opts.countQueries ? [QCOUNT_PRELOAD] : []), ...(opts.workerImports ?? [])];
  const preload: Record<string, string> = imports.length
    ? {
        NODE_OPTIONS: [process.env.NODE_OPTIONS ?? '', ...imports.map((f) => `--import ${f}`)]
          .join(' ')
          .trim(),
      }
    : {};
  const workers = await Promise.all(
    Array.from({ length: workerCount }, (_, k) =>
      startApp({ ...env, ...preload, QUEUE_ROLE: 'worker' }, { label: `worker${k + 1}` }),
    ),
  );
  const stopped = new Set<AppProcess>();
  return {
    api,
    workers,
    async stop() {
      const codes: (number | null)[] = [];
      for (const p of [...workers, api]) {
        if (stopped.has(p)) continue;
        stopped.add(p);
        codes.push(await p.stop());
      }
      return codes;
    },
  };
}

export interface ClusterBench {
  db: BenchDatabase;
  gw: FakeGateway;
  cluster: Cluster;
  /** A connection of the bench's own to the cluster's database. */
  client: pg.Client;
}

/**
 * The set-up of the cluster benches: a throwaway database, a fake gateway, the cluster started
 * with `env(db, gw)`, and a connection for the bench. Whatever `body` does, every process is
 * stopped (their output shown when the bench failed), and the gateway and database go away.
 */
export async function withCluster(
  label: string,
  env: (db: BenchDatabase, gw: FakeGateway) => Record<string, string>,
  workerCount: number,
  opts: { countQueries?: boolean; workerImports?: string[] },
  body: (kit: ClusterBench) => Promise<number>,
): Promise<number> {
  let db: BenchDatabase | undefined;
  let gw: FakeGateway | undefined;
  let cluster: Cluster | undefined;
  let client: pg.Client | undefined;
  try {
    db = await benchDatabase(label);
    gw = await FakeGateway.start();
    cluster = await startCluster(env(db, gw), workerCount, opts);
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    return await body({ db, gw, cluster, client });
  } catch (err) {
    for (const p of cluster ? [cluster.api, ...cluster.workers] : [])
      p.dumpOutput('the bench failed');
    throw err;
  } finally {
    await client?.end().catch(() => undefined);
    await cluster?.stop();
    await gw?.stop();
    await db?.drop();
  }
}

export interface QueueStatus {
  queue_depth: number;
  msgs_per_sec: number;
  burst_capacity: number;
  tokens_available: number;
  paused: boolean;
  workers: number;
}

export async function queueStatus(api: AppProcess): Promise<QueueStatus> {
  const res = await api.api<{ data: QueueStatus }>('GET', '/api/queue/status');
  if (res.status !== 200) throw new Error(`GET /api/queue/status: HTTP ${res.status}`);
  return res.body.data;
}

export interface JobDetail {
  id: number;
  job_status: string;
  recipient_count: number;
  success_count: number;
  failed_count: number;
  pending_count: number;
  cancelled_count: number;
  queue_position: number | null;
  estimated_complete_at: string | null;
  completed_at: string | null;
}

export async function jobDetail(api: AppProcess, id: number): Promise<JobDetail> {
  const res = await api.api<{ data: JobDetail }>('GET', `/api/sms/${id}`);
  if (res.status !== 200) throw new Error(`GET /api/sms/${id}: HTTP ${res.status}`);
  return res.body.data;
}

export const FINAL_STATUSES = ['completed', 'partial', 'failed', 'cancelled'];

/** POST /api/sms/send-bulk; throws unless 202 with every recipient accepted. */
export async function submitBulk(
  api: AppProcess,
  recipients: string[],
  content: string,
): Promise<{ id: number; total: number }> {
  const res = await api.api('POST', '/api/sms/send-bulk', JSON.stringify({ recipients, content }));
  if (res.status !== 202) {
    throw new Error(`send-bulk: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
  }
  const data = (res.body as { data: { id: number; total: number } }).data;
  if (data.total !== recipients.length) {
    throw new Error(`send-bulk: total ${data.total}, expected ${recipients.length}`);
  }
  return data;
}

/** A figure of the final JSON line. */
export interface Figure {
  name: string;
  value: number | null;
  unit: string;
  /** e.g. "<= 0", ">= 97 %"; null for information only. */
  target: string | null;
  ok: boolean | null;
}

/**
 * A recorder for figures: `figure(name, value, unit, target, ok)` adds one, and a missed target
 * (ok === false) also becomes a failure line.
 */
export function figureRecorder(figures: Figure[], failures: string[]) {
  return (
    name: string,
    value: number | null,
    unit: string,
    target: string | null,
    ok: boolean | null,
  ): void => {
    const shown = value === null ? null : round(value, 4);
    figures.push({ name, value: shown, unit, target, ok });
    if (ok === false) failures.push(`${name} = ${shown ?? 'n/a'} ${unit} (target ${target})`);
  };
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
