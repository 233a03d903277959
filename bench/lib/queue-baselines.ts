/**
 * Reference queues for bench/dispatch.ts: graphile-worker and pg-boss (devDependencies, bench
 * only) each drain N no-op jobs enqueued up front with set-based inserts, with the settings
 * PERF-NOTES.md found best on this kind of machine. The rate is N / (last job finished −
 * first job started), the end being the first poll (every 50 ms) that finds no job left.
 */
import { createRequire } from 'node:module';
import pg from 'pg';
import { nowMs, round, sleep } from './util.js';

const require = createRequire(import.meta.url);

export interface BaselineResult {
  name: string;
  version: string;
  settings: string;
  jobs: number;
  enqueueMs: number;
  /** First handler call to the first poll that found the queue empty. */
  drainMs: number;
  jobsPerSec: number;
}

const POLL_MS = 50;

async function waitUntil(
  label: string,
  total: number,
  handled: () => number,
  remaining: () => Promise<number>,
  timeoutMs: number,
): Promise<number> {
  const started = nowMs();
  let lastPrint = started;
  for (;;) {
    const left = await remaining();
    const now = nowMs();
    if (left === 0) return now;
    if (now - started > timeoutMs)
      throw new Error(`${label}: ${left} jobs left after ${timeoutMs} ms`);
    if (now - lastPrint >= 2_000) {
      lastPrint = now;
      console.log(
        `${label}: ${handled()}/${total} handled, ${left} left after ${round((now - started) / 1000, 1)} s`,
      );
    }
    await sleep(POLL_MS);
  }
}

function measured(
  name: string,
  version: string,
  settings: string,
  jobs: number,
  enqueueMs: number,
  drainMs: number,
): BaselineResult {
  return { name, version, settings, jobs, enqueueMs, drainMs, jobsPerSec: jobs / (drainMs / 1000) };
}

/** A counting query on its own connection; `end()` closes it. */
async function count(
  url: string,
  sql: string,
): Promise<(() => Promise<number>) & { end: () => Promise<void> }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const f = async () => Number((await c.query<{ n: string }>(sql)).rows[0].n);
  return Object.assign(f, { end: () => c.end() });
}

export async function graphileWorker(url: string, jobs: number): Promise<BaselineResult> {
  const gw = require('graphile-worker') as typeof import('graphile-worker');
  const version = (require('graphile-worker/package.json') as { version: string }).version;
  await gw.runMigrations({ connectionString: url, logger: quietGraphileLogger(gw) });
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const enqueueStarted = nowMs();
  try {
    for (let done = 0; done < jobs; done += 50_000) {
      const n = Math.min(50_000, jobs - done);
      await c.query(
        `SELECT graphile_worker.add_jobs(array(
           SELECT ROW('noop', '{}'::json, NULL, NULL, NULL, NULL, NULL, NULL)::graphile_worker.job_spec
           FROM generate_series(1, $1)))`,
        [n],
      );
    }
    await c.query('ANALYZE');
  } finally {
    await c.end();
  }
  const enqueueMs = nowMs() - enqueueStarted;
  console.log(`graphile-worker ${version}: ${jobs} jobs enqueued in ${Math.round(enqueueMs)} ms`);
  let handled = 0;
  let first = 0;
  const remaining = await count(url, 'SELECT count(*) AS n FROM graphile_worker._private_jobs');
  const settings =
    'concurrency 128, localQueue.size 5000, completeJobBatchDelay 0, pollInterval 1000 ms';
  // Our own pool (graphile-worker's default size, 10), so that every connection is closed
  // before the database is dropped: an idle one cut by the drop was an uncaught error.
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on('error', () => undefined);
  const runner = await gw.run({
    pgPool: pool,
    concurrency: 128,
    noHandleSignals: true,
    pollInterval: 1000,
    logger: quietGraphileLogger(gw),
    // Completions batched within a tick: one statement per job (the default, -1) sets the
    // commit ceiling instead of the queue.
    preset: { worker: { localQueue: { size: 5000 }, completeJobBatchDelay: 0 } },
    taskList: {
      noop: async () => {
        if (handled++ === 0) first = nowMs();
      },
    },
  });
  try {
    const end = await waitUntil('graphile-worker', jobs, () => handled, remaining, 170_000);
    return measured('graphile-worker', version, settings, jobs, enqueueMs, end - first);
  } finally {
    await runner.stop();
    await runner.promise.catch(() => undefined);
    await pool.end();
    await remaining.end();
  }
}

function quietGraphileLogger(gw: typeof import('graphile-worker')) {
  return new gw.Logger(() => (level: string, message: string) => {
    if (level === 'error') console.error(`[graphile-worker] ${message}`);
  });
}

export async function pgBoss(url: string, jobs: number): Promise<BaselineResult> {
  const PgBoss = require('pg-boss') as typeof import('pg-boss');
  const version = (require('pg-boss/package.json') as { version: string }).version;
  const boss = new PgBoss({ connectionString: url, schedule: false, supervise: false });
  boss.on('error', (err: Error) => console.error(`[pg-boss] ${err.message}`));
  await boss.start();
  const queue = 'noop';
  await boss.createQueue(queue);
  const enqueueStarted = nowMs();
  for (let done = 0; done < jobs; done += 20_000) {
    const n = Math.min(20_000, jobs - done);
    await boss.insert(Array.from({ length: n }, () => ({ name: queue, data: {} })));
  }
  const enqueueMs = nowMs() - enqueueStarted;
  console.log(`pg-boss ${version}: ${jobs} jobs enqueued in ${Math.round(enqueueMs)} ms`);
  const remaining = await count(
    url,
    `SELECT count(*) AS n FROM pgboss.job WHERE name = 'noop' AND state <> 'completed'`,
  );
  let handled = 0;
  let first = 0;
  const settings = '2 workers × batchSize 5000, pollingIntervalSeconds 0.5';
  const handler = async (batch: unknown[]) => {
    if (handled === 0) first = nowMs();
    handled += batch.length;
  };
  try {
    for (let k = 0; k < 2; k++) {
      await boss.work(queue, { batchSize: 5000, pollingIntervalSeconds: 0.5 }, handler);
    }
    const end = await waitUntil('pg-boss', jobs, () => handled, remaining, 170_000);
    return measured('pg-boss', version, settings, jobs, enqueueMs, end - first);
  } finally {
    await boss.stop({ graceful: false, wait: true });
    await remaining.end();
  }
}
