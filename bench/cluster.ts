/**
 * Cluster (spec/QUEUE.md: "Rate limit", "Durability"): one API process (QUEUE_ROLE=api) and
 * three worker processes (QUEUE_ROLE=worker), real `node dist/src/main.js` children on one
 * database, sending to one local fake gateway that records when each request arrives.
 *
 * Three phases, one file each under bench/cluster/: 1. a shared bucket
 * (shared-bucket.ts), 2. a rate change at run time (rate-change.ts), 3. a worker killed while
 * holding leases (worker-kill.ts); each file's header says what it checks.
 * Prints progress, the figures, and a final JSON line; exit code 1 when any check fails.
 * About 60 s.
 *
 * Run: npm run bench:cluster   (DATABASE_URL=postgres://... to use a server instead of embedded)
 */
import type { AppProcess } from '../test/support/app-process.js';
import { runBench } from '../test/support/cleanup.js';
import { queueStatus } from './lib/api.js';
import { diffQueryCounts, queryCountsAt, withCluster } from './lib/cluster-kit.js';
import { Report } from './lib/report.js';
import { sleep } from './lib/util.js';
import { CONCURRENCY, LEASE_MS, SLACK_MS, WORKERS } from './cluster/common.js';
import { P1, sharedBucket } from './cluster/shared-bucket.js';
import { rateChange } from './cluster/rate-change.js';
import { workerKill } from './cluster/worker-kill.js';

async function main(): Promise<number> {
  console.log(
    `cluster: 1 API + ${WORKERS} worker processes on one database, QUEUE_CONCURRENCY=${CONCURRENCY}, ` +
      `QUEUE_LEASE_MS=${LEASE_MS}; bound count <= burst + rate × t in every window (${SLACK_MS} ms slack)`,
  );
  const report = new Report('cluster');
  return withCluster(
    'cluster',
    (db, gw) => ({
      DATABASE_URL: db.url,
      SMS_PROVIDER: 'http',
      SMS_BASE_URL: gw.url,
      SMS_RATE_PER_SEC: String(P1.rate),
      SMS_BURST_CAPACITY: String(P1.burst),
      QUEUE_CONCURRENCY: String(CONCURRENCY),
      QUEUE_LEASE_MS: String(LEASE_MS),
    }),
    WORKERS,
    { countQueries: true },
    async ({ db, gw: gateway, api, workers, stopAll, client: pgc }) => {
      // Every worker beats once at start; the count must reach 3.
      let status = await queueStatus(api);
      for (let k = 0; k < 50 && status.workers < WORKERS; k++) {
        await sleep(100);
        status = await queueStatus(api);
      }
      console.log(
        `cluster up: workers ${status.workers}, rate ${status.msgs_per_sec}/s, burst ${status.burst_capacity}, ` +
          `tokens ${status.tokens_available}`,
      );
      if (status.workers !== WORKERS)
        report.fail(`workers at start: ${status.workers}, expected ${WORKERS}`);

      const run = { api, workers, gateway, pgc, report };
      const phase1 = await sharedBucket(run);
      const phase2 = await rateChange(run);
      const phase3 = await workerKill(run);
      const victim = phase3.victim;

      // Which worker did what (statement counters from qcount-preload).
      console.log('\nper worker (from the first job on; event-loop delay: worst 1-s interval):');
      for (const w of workers) {
        const c = queryCountsAt(w.output(), Infinity);
        if (!c) continue;
        const d = diffQueryCounts(queryCountsAt(w.output(), phase1.startedAt), c, w.output());
        console.log(
          `  ${w.label} (pid ${w.pid}${w === victim ? ', killed' : ''}): tokens ${d.granted}, claimed ${d.claimed}, ` +
            `takes ${d.q.take?.n ?? 0} (${d.takes_refused} refused), claims ${d.q.claim?.n ?? 0} (${d.claims_empty} empty), ` +
            `records ${d.q.record?.n ?? 0}, cpu ${d.cpu_ms} ms, event-loop p99 ${d.loop_p99_ms} ms, max ${d.loop_max_ms} ms`,
        );
      }

      const codes = await stopAll();
      const codeOf = (p: AppProcess, k: number) => (p === victim ? 0 : codes[k]);
      const bad = workers
        .map((w, k) => [w.label, codeOf(w, k)] as const)
        .filter(([, c]) => c !== 0);
      if (codes.at(-1) !== 0) bad.push(['api', codes.at(-1) ?? null]);
      if (bad.length)
        console.warn(
          `warning: exit codes after SIGTERM: ${bad.map(([l, c]) => `${l} ${c}`).join(', ')}`,
        );

      return report.finish({
        database: db.server,
        workers: WORKERS,
        concurrency: CONCURRENCY,
        lease_ms: LEASE_MS,
        phase1: phase1.details,
        phase2,
        phase3: phase3.details,
      });
    },
  );
}

runBench(main);
