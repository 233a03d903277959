/**
 * Bulk ingest latency: wall time from sending POST /api/sms/send-bulk with 10 000 distinct
 * valid numbers to having the whole 202 answer, over real HTTP to the real app
 * (dist/src/main.js) on a real PostgreSQL. The 202 promises the job and all its recipients
 * are committed, so this is the cost of validating, deduplicating and storing them.
 *
 * QUEUE_ROLE=api: this process does not send, so workers do not compete for the database
 * (checked: the fake gateway must receive nothing). One warm-up of 1 000, then 5 runs of
 * 10 000; target: median < 1000 ms. Exit code 1 when missed.
 *
 * Run: npm run bench:ingest10k   (DATABASE_URL=postgres://... to use a server instead)
 */
import pg from 'pg';
import type { AppProcess } from './lib/app-process.js';
import { runBench } from './lib/cleanup.js';
import { withSingleApp } from './lib/single-app.js';
import { hkNumbers, median, nowMs, round } from './lib/util.js';

const WARMUP = 1_000;
const SIZE = 10_000;
const RUNS = 5;
const TARGET_MEDIAN_MS = 1_000;

async function post(app: AppProcess, run: number, size: number) {
  // Distinct numbers in every run (and across runs), serialised before the clock starts.
  const body = JSON.stringify({
    recipients: hkNumbers(run * SIZE, size),
    content: `smspanel ingest bench, run ${run}`,
  });
  const started = nowMs();
  const res = await app.api('POST', '/api/sms/send-bulk', body);
  const ms = nowMs() - started;
  if (res.status !== 202) {
    throw new Error(
      `run ${run}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 500)} after ${round(ms, 1)} ms`,
    );
  }
  const data = (res.body as { data: { id: number; total: number; duplicates_removed: number } })
    .data;
  if (data.total !== size || data.duplicates_removed !== 0) {
    throw new Error(
      `run ${run}: total ${data.total}, duplicates_removed ${data.duplicates_removed}`,
    );
  }
  return { ms, id: data.id, kb: Math.round(body.length / 1024) };
}

async function main(): Promise<number> {
  console.log(
    `ingest-10k: POST /api/sms/send-bulk, 1 warm-up of ${WARMUP} then ${RUNS} runs of ${SIZE} ` +
      `recipients; target median < ${TARGET_MEDIAN_MS} ms (QUEUE_ROLE=api)`,
  );
  return withSingleApp(
    'ingest',
    (db, gw) => ({
      DATABASE_URL: db.url,
      QUEUE_ROLE: 'api',
      SMS_PROVIDER: 'http',
      SMS_BASE_URL: gw.url,
    }),
    async ({ db, gw, app, stopApp }) => {
      const warm = await post(app, 0, WARMUP);
      console.log(
        `warm-up: ${WARMUP} recipients → 202 in ${round(warm.ms, 1)} ms (job ${warm.id})`,
      );
      const times: number[] = [];
      for (let run = 1; run <= RUNS; run++) {
        const r = await post(app, run, SIZE);
        times.push(r.ms);
        console.log(
          `run ${run}/${RUNS}: ${SIZE} recipients (${r.kb} KiB body) → 202 in ${round(r.ms, 1)} ms (job ${r.id})`,
        );
      }
      const med = median(times);

      // The 202 means committed: every recipient must be in the database.
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      let stored: number;
      try {
        stored = Number((await c.query('SELECT count(*) AS n FROM recipients')).rows[0].n);
      } finally {
        await c.end();
      }
      const expected = WARMUP + RUNS * SIZE;

      const failures: string[] = [];
      if (med >= TARGET_MEDIAN_MS) {
        failures.push(`median ${round(med, 1)} ms is not below ${TARGET_MEDIAN_MS} ms`);
      }
      if (stored !== expected) failures.push(`${stored} recipients stored, expected ${expected}`);
      if (gw.requests.length) failures.push(`QUEUE_ROLE=api sent ${gw.requests.length} SMS`);

      const appExit = await stopApp();

      console.log(
        `\nmedian ${round(med, 1)} ms (min ${round(Math.min(...times), 1)}, max ${round(Math.max(...times), 1)}); ` +
          `target < ${TARGET_MEDIAN_MS} ms; ${stored}/${expected} recipients stored`,
      );
      console.log(failures.length ? `FAILED:\n- ${failures.join('\n- ')}` : 'PASS');
      if (failures.length) app.dumpOutput('a check failed');
      console.log(
        JSON.stringify({
          bench: 'ingest-10k',
          database: db.server,
          size: SIZE,
          warmup_ms: round(warm.ms, 1),
          runs_ms: times.map((t) => round(t, 1)),
          median_ms: round(med, 1),
          target_ms: TARGET_MEDIAN_MS,
          stored,
          app_exit_code: appExit,
          ok: failures.length === 0,
          failures,
          figures: [
            {
              name: '10 000 recipients, median',
              value: round(med, 1),
              unit: 'ms',
              target: `< ${TARGET_MEDIAN_MS}`,
              ok: med < TARGET_MEDIAN_MS,
            },
          ],
        }),
      );
      return failures.length ? 1 : 0;
    },
  );
}

runBench(main);
