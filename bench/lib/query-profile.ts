/**
 * Profiles the app's own SQL: a repository class from src/ is constructed around a stand-in
 * DataSource that runs each query on a plain pg client and records its text and parameters.
 * The recorded statements are then timed and EXPLAINed exactly as the app sends them, so the
 * bench never carries a copy of the SQL that could drift from the code.
 */
import pg from 'pg';
import { median, nowMs, round } from './util.js';

export interface CapturedQuery {
  label: string;
  sql: string;
  params: unknown[];
}

/** The one DataSource method the repositories use. */
export interface QueryOnlyDataSource {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query(sql: string, params?: unknown[]): Promise<any>;
}

/**
 * Runs `call` with a recording DataSource; returns every statement it issued, labelled
 * `label` (with #2, #3... when it issued several).
 */
export async function captureQueries(
  client: pg.Client,
  label: string,
  call: (ds: QueryOnlyDataSource) => Promise<unknown>,
): Promise<CapturedQuery[]> {
  const captured: CapturedQuery[] = [];
  const ds: QueryOnlyDataSource = {
    async query(sql: string, params: unknown[] = []) {
      captured.push({ label, sql, params });
      return (await client.query(sql, params)).rows;
    },
  };
  await call(ds);
  return captured.map((q, k) => (k === 0 ? q : { ...q, label: `${q.label} #${k + 1}` }));
}

export interface QueryTiming {
  label: string;
  /** Client-side round trip of the plain statement, median over `runs`. */
  median_ms: number;
  max_ms: number;
  /** From EXPLAIN (ANALYZE, BUFFERS). */
  planning_ms: number;
  execution_ms: number;
  shared_hit: number;
  shared_read: number;
  plan: string[];
}

/** Times the statement `runs` times (after one warm-up), then EXPLAIN (ANALYZE, BUFFERS). */
export async function profileQuery(
  client: pg.Client,
  q: CapturedQuery,
  runs = 20,
): Promise<QueryTiming> {
  await client.query(q.sql, q.params);
  const times: number[] = [];
  for (let k = 0; k < runs; k++) {
    const t = nowMs();
    await client.query(q.sql, q.params);
    times.push(nowMs() - t);
  }
  const res = await client.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN (ANALYZE, BUFFERS) ${q.sql}`,
    q.params,
  );
  const plan = res.rows.map((r) => r['QUERY PLAN']);
  const num = (re: RegExp) => {
    const m = plan.map((l) => re.exec(l)).find((x) => x !== null);
    return m ? Number(m[1]) : NaN;
  };
  // The top node's buffer line covers the whole statement.
  const buffers = plan.find((l) => /Buffers: shared/.test(l)) ?? '';
  return {
    label: q.label,
    median_ms: round(median(times), 3),
    max_ms: round(Math.max(...times), 3),
    planning_ms: num(/^Planning Time: ([\d.]+) ms/),
    execution_ms: num(/^Execution Time: ([\d.]+) ms/),
    shared_hit: Number(/hit=(\d+)/.exec(buffers)?.[1] ?? 0),
    shared_read: Number(/read=(\d+)/.exec(buffers)?.[1] ?? 0),
    plan,
  };
}

/** One line: the SQL with whitespace collapsed, cut at `max` characters. */
export function oneLine(sql: string, max = 160): string {
  const s = sql.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
