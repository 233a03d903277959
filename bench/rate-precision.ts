/**
 * Rate-limit precision, measured from the gateway's side (spec/QUEUE.md, "Rate limit").
 *
 * The real app (dist/src/main.js) sends to a real local fake gateway at 2/s with a burst of 4
 * and QUEUE_CONCURRENCY 4. One bulk job of 60 distinct numbers is submitted at once; the
 * gateway records when each request arrives. Checks:
 * - in every window [a_i, a_j] of arrivals: count <= burst + rate * t (5 ms clock slack);
 * - achieved rate (n - burst) / (last - first) >= 99 % of the configured rate;
 * - each number reached the gateway exactly once, and the job ended `completed` with counts
 *   adding up to 60.
 * Exit code 1 when any check fails. About 30 s.
 *
 * Run: npm run bench:rate   (DATABASE_URL=postgres://... to use a server instead of embedded)
 * BENCH_TRACE=1 also loads bench/lib/trace-preload.ts into the app and prints, per request,
 * when its token was taken, when it was claimed and when it arrived.
 */
import { fileURLToPath } from 'node:url';
import { runBench } from '../test/support/cleanup.js';
import { deliveries, jobDetail, submitBulk, timesText, waitForJob } from './lib/api.js';
import { Report } from './lib/report.js';
import { withSingleApp } from './lib/setup.js';
import { achievedRate, worstWindow } from '../test/support/rate-check.js';
import { joinTrace, parseTrace, traceReport } from './lib/trace-analysis.js';
import { hkNumbers, median, nowMs, round, sleep } from './lib/util.js';

const RATE = 2;
const BURST = 4;
const CONCURRENCY = 4;
const N = 60;
const SLACK_MS = 5;
const MIN_RATE_RATIO = 0.99;
const PROGRESS_EVERY_MS = 3_000;
/** The ideal duration is (N - BURST) / RATE = 28 s; allow generous room before giving up. */
const SEND_TIMEOUT_MS = (((N - BURST) / RATE) * 1.5 + 20) * 1000;
const TRACE = process.env.BENCH_TRACE === '1';
const TRACE_PRELOAD = fileURLToPath(new URL('./lib/trace-preload.js', import.meta.url));

async function main(): Promise<number> {
  console.log(
    `rate-precision: ${N} SMS in one bulk job, SMS_RATE_PER_SEC=${RATE}, SMS_BURST_CAPACITY=${BURST}, ` +
      `QUEUE_CONCURRENCY=${CONCURRENCY}; bound: count <= ${BURST} + ${RATE} * t in every window ` +
      `(${SLACK_MS} ms slack); achieved rate >= ${MIN_RATE_RATIO * 100} %`,
  );
  const report = new Report('rate-precision');
  return withSingleApp(
    'rate',
    (db, gw) => ({
      DATABASE_URL: db.url,
      SMS_PROVIDER: 'http',
      SMS_BASE_URL: gw.url,
      SMS_RATE_PER_SEC: String(RATE),
      SMS_BURST_CAPACITY: String(BURST),
      QUEUE_CONCURRENCY: String(CONCURRENCY),
      ...(TRACE
        ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${TRACE_PRELOAD}`.trim() }
        : {}),
    }),
    async ({ db, gw, app, stopApp }) => {
      const numbers = hkNumbers(0, N);
      const job = await submitBulk(app, numbers, 'smspanel rate-precision bench');
      const submitted = job.submittedAt;
      console.log(
        `job ${job.id} accepted in ${round(job.ms, 1)} ms: total ${job.total}, ` +
          `estimated_complete_at ${job.estimated_complete_at}`,
      );

      // Progress until the gateway has seen N requests.
      let lastProgress = nowMs();
      while (gw.requests.length < N) {
        const elapsed = nowMs() - submitted;
        if (elapsed > SEND_TIMEOUT_MS) {
          const d = await jobDetail(app, job.id).catch(() => undefined);
          throw new Error(
            `only ${gw.requests.length}/${N} requests reached the gateway after ${round(elapsed / 1000, 1)} s` +
              (d
                ? ` (job ${d.job_status}, sent ${d.success_count}, failed ${d.failed_count})`
                : ''),
          );
        }
        if (nowMs() - lastProgress >= PROGRESS_EVERY_MS) {
          lastProgress = nowMs();
          const d = await jobDetail(app, job.id);
          const got = gw.requests.length;
          const first = gw.requests[0]?.at;
          const rate =
            first && got > BURST
              ? achievedRate(
                  gw.requests.map((r) => r.at),
                  BURST,
                )
              : null;
          console.log(
            `sent ${got}/${N} after ${round(elapsed / 1000, 1)} s` +
              ` (job ${d.job_status}, recorded sent ${d.success_count}, rate so far ${rate === null ? '-' : round(rate, 3)}/s)`,
          );
        }
        await sleep(100);
      }
      const allSentAt = nowMs();
      console.log(`sent ${N}/${N} after ${round((allSentAt - submitted) / 1000, 1)} s`);

      // The job must reach a final state once the results are recorded.
      const detail = await waitForJob(app, job.id, 15_000);
      // Nothing more may arrive (no duplicates, no stray retries).
      await sleep(1_000);

      const arrivals = gw.requests.map((r) => r.at);
      const worst = worstWindow(arrivals, RATE, BURST, SLACK_MS);
      const rate = achievedRate(arrivals, BURST) ?? 0;
      const sorted = [...arrivals].sort((a, b) => a - b);
      const first = sorted[0];
      const rel = sorted.map((t) => Math.round(t - first));
      const gaps = sorted.slice(BURST).map((t, k) => t - sorted[BURST - 1 + k]);
      const { missing, repeated, strangers } = deliveries(gw.requests, numbers);

      console.log(`\narrivals, ms after the first: ${rel.join(' ')}`);
      console.log(
        `first request ${round(first - submitted, 1)} ms after submission; last ${round((sorted.at(-1)! - first) / 1000, 3)} s after the first`,
      );
      console.log(
        `gaps after the burst (ms): min ${round(Math.min(...gaps), 1)}, median ${round(median(gaps), 1)}, max ${round(Math.max(...gaps), 1)}`,
      );
      // Paced request k (0-based, k >= burst) cannot arrive before T + (k - burst + 1) / rate,
      // T being when the burst's tokens were taken: min(a_k - schedule_k) is the latest possible
      // T. How late the burst arrived after it, and how much the paced offsets vary, say how
      // much of a broken bound is request latency varying between the two ends of a window.
      const offsets = sorted.slice(BURST).map((t, k) => t - first - ((k + 1) * 1000) / RATE);
      const latestTokenTime = Math.min(0, ...offsets);
      console.log(
        `implied by the paced arrivals: the first request arrived >= ${round(-latestTokenTime, 1)} ms ` +
          `after its token could have been taken; paced requests vary by ` +
          `${round(Math.max(...offsets) - Math.min(...offsets), 1)} ms around the 1/rate grid`,
      );
      const w = worst.window!;
      console.log(
        `worst window: requests #${w.i + 1}..#${w.j + 1} = ${w.count} in ${round(w.spanMs, 1)} ms, ` +
          `bound ${BURST} + ${RATE} × ${round(w.spanMs / 1000, 4)} s = ${round(w.bound, 4)}; ` +
          `excess ${round(worst.excess, 4)} (${round(worst.excessWithSlack, 4)} with ${SLACK_MS} ms slack) → ` +
          (worst.holds ? 'bound holds' : 'BOUND BROKEN'),
      );
      console.log(
        `achieved rate (n - burst) / (last - first): ${round(rate, 4)}/s = ${round((rate / RATE) * 100, 2)} % of ${RATE}/s` +
          ` (min ${MIN_RATE_RATIO * 100} %)`,
      );
      const eta = job.estimated_complete_at ? Date.parse(job.estimated_complete_at) : NaN;
      const done = detail.completed_at ? Date.parse(detail.completed_at) : NaN;
      if (Number.isFinite(eta) && Number.isFinite(done)) {
        console.log(
          `estimate at submission vs completion: ${round((eta - done) / 1000, 2)} s ` +
            `(${round(((eta - done) / (done - submitted)) * 100, 1)} % of the job's duration; information only)`,
        );
      }
      console.log(
        `job ${job.id}: ${detail.job_status}, recipients ${detail.recipient_count}, sent ${detail.success_count}, ` +
          `failed ${detail.failed_count}, pending ${detail.pending_count}, cancelled ${detail.cancelled_count}`,
      );

      if (TRACE) {
        const traced = joinTrace(parseTrace(app.output()), gw.requests);
        for (const line of traceReport(traced, RATE, BURST, SLACK_MS, worst.window))
          console.log(line);
      }

      report.add(
        {
          name: 'worst window excess (with slack)',
          value: round(worst.excessWithSlack, 4),
          unit: 'SMS',
          target: '≤ 0',
          ok: worst.holds,
        },
        {
          name: 'achieved rate',
          value: round(rate, 4),
          unit: '/s',
          target: `≥ ${round(RATE * MIN_RATE_RATIO, 4)}`,
          ok: rate >= RATE * MIN_RATE_RATIO,
        },
      );
      if (!worst.holds) {
        report.fail(
          `rate bound broken: ${w.count} requests in ${round(w.spanMs, 1)} ms (bound ${round(w.bound, 3)}, ` +
            `excess ${round(worst.excessWithSlack, 4)} beyond ${SLACK_MS} ms slack)`,
        );
      }
      if (rate < RATE * MIN_RATE_RATIO) {
        report.fail(
          `achieved rate ${round(rate, 4)}/s is below ${MIN_RATE_RATIO * 100} % of ${RATE}/s`,
        );
      }
      if (gw.requests.length !== N)
        report.fail(`gateway got ${gw.requests.length} requests, expected ${N}`);
      if (missing.length) report.fail(`never sent: ${missing.join(', ')}`);
      if (repeated.length) report.fail(`sent more than once: ${timesText(repeated)}`);
      if (strangers.length) report.fail(`unexpected numbers: ${strangers.join(', ')}`);
      const counted =
        detail.success_count + detail.failed_count + detail.pending_count + detail.cancelled_count;
      if (detail.job_status !== 'completed')
        report.fail(`job ended '${detail.job_status}', expected 'completed'`);
      if (detail.recipient_count !== N || detail.success_count !== N || counted !== N) {
        report.fail(
          `job counts: recipients ${detail.recipient_count}, sent ${detail.success_count}, failed ${detail.failed_count}, ` +
            `pending ${detail.pending_count}, cancelled ${detail.cancelled_count} (expected ${N} sent of ${N})`,
        );
      }

      const appExit = await stopApp();

      return report.finish(
        {
          database: db.server,
          worst_window: { count: w.count, span_ms: round(w.spanMs, 1), bound: round(w.bound, 4) },
          first_request_ms: round(first - submitted, 1),
          burst_lateness_ms: round(-latestTokenTime, 1),
          duration_s: round((sorted.at(-1)! - first) / 1000, 3),
          app_exit_code: appExit,
        },
        () => app.dumpOutput('a check failed'),
      );
    },
  );
}

runBench(main);
