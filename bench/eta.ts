/**
 * Accuracy of `estimated_complete_at` (spec/QUEUE.md, "Job status and estimates"): for a job
 * queued behind others, with a gateway that answers promptly and no failures, the estimate
 * made at submission is within 5 % (or 2 s, whichever is larger) of the actual completion.
 *
 * The real app (dist/src/main.js) sends to a real local fake gateway at 5/s with a burst of
 * 5. Job A (25 SMS) is submitted, then at once job B (25 SMS), which waits behind A. B's
 * estimate from its 202 answer is compared with the arrival at the gateway of B's last SMS;
 * the tolerance is max(5 % of B's actual time from submission to completion, 2 s). Exit
 * code 1 when it is missed (or when the run is not a clean one: every SMS once, both jobs
 * completed). For information: A's error, and the error of the estimates that
 * GET /api/sms/:id gives every 2 s while the jobs run. About 15 s.
 *
 * Errors are estimate − actual: positive means the job finished earlier than announced.
 *
 * Run: npm run bench:eta   (DATABASE_URL=postgres://... to use a server instead of embedded)
 */
import type { AppProcess } from '../test/support/app-process.js';
import { runBench } from '../test/support/cleanup.js';
import { checkBound } from '../test/support/rate-check.js';
import {
  deliveries,
  FINAL_STATUSES,
  jobDetail,
  type JobDetail,
  submitBulk,
  type Submitted,
  timesText,
} from './lib/api.js';
import { Report } from './lib/report.js';
import { withSingleApp } from './lib/setup.js';
import { hkNumbers, nowMs, round, sleep } from './lib/util.js';

const RATE = 5;
const BURST = 5;
const N_A = 25;
const N_B = 25;
const TOLERANCE_RATIO = 0.05;
const TOLERANCE_MIN_MS = 2_000;
const POLL_EVERY_MS = 2_000;
/** Ideal: (50 - 5) / 5 = 9 s; generous room before giving up. */
const SEND_TIMEOUT_MS = (((N_A + N_B - BURST) / RATE) * 2 + 20) * 1000;

interface Submission {
  name: string;
  numbers: string[];
  job: Submitted;
  estimate: number;
}

interface Poll {
  job: string;
  at: number;
  status: string;
  sent: number;
  position: number | null;
  estimate: number | null;
}

async function submit(app: AppProcess, name: string, numbers: string[]): Promise<Submission> {
  const job = await submitBulk(app, numbers, `smspanel eta bench, job ${name}`);
  if (!job.estimated_complete_at) throw new Error(`job ${name}: no estimated_complete_at`);
  return { name, numbers, job, estimate: Date.parse(job.estimated_complete_at) };
}

const secs = (ms: number) => `${round(ms / 1000, 3)} s`;
const signed = (ms: number) => `${ms >= 0 ? '+' : ''}${round(ms / 1000, 3)} s`;

async function main(): Promise<number> {
  console.log(
    `eta: job A (${N_A} SMS) then job B (${N_B} SMS) at SMS_RATE_PER_SEC=${RATE}, ` +
      `SMS_BURST_CAPACITY=${BURST}; target: |B's estimate at submission − B's last gateway arrival| ` +
      `<= max(${TOLERANCE_RATIO * 100} % of B's submission-to-completion time, ${TOLERANCE_MIN_MS / 1000} s)`,
  );
  return withSingleApp(
    'eta',
    (db, gw) => ({
      DATABASE_URL: db.url,
      SMS_PROVIDER: 'http',
      SMS_BASE_URL: gw.url,
      SMS_RATE_PER_SEC: String(RATE),
      SMS_BURST_CAPACITY: String(BURST),
    }),
    async ({ db, gw, app, stopApp }) => {
      // The app stamps estimates with Date.now(); arrivals use the performance clock.
      const clockSkewMs = Date.now() - nowMs();
      // Let the bucket be full, as the estimate assumes nothing else took tokens.
      await sleep(((BURST / RATE) * 1000) | 0);

      const a = await submit(app, 'A', hkNumbers(0, N_A));
      const b = await submit(app, 'B', hkNumbers(1_000, N_B));
      const t0 = a.job.submittedAt;
      for (const s of [a, b]) {
        console.log(
          `job ${s.name} (id ${s.job.id}, ${s.job.total} SMS) accepted in ${round(s.job.ms, 1)} ms ` +
            `at t=${secs(s.job.submittedAt - t0)}: queue_position ${s.job.queue_position}, ` +
            `estimated_complete_at ${s.job.estimated_complete_at} (t=${secs(s.estimate - t0)})`,
        );
      }

      const jobs = [a, b];
      const polls: Poll[] = [];
      const total = N_A + N_B;
      let nextPoll = nowMs();
      let details = new Map<string, JobDetail>();
      for (;;) {
        const elapsed = nowMs() - t0;
        if (elapsed > SEND_TIMEOUT_MS) {
          throw new Error(
            `only ${gw.requests.length}/${total} requests reached the gateway after ${secs(elapsed)}`,
          );
        }
        if (nowMs() >= nextPoll) {
          nextPoll += POLL_EVERY_MS;
          details = new Map();
          for (const s of jobs) {
            const at = nowMs();
            const d = await jobDetail(app, s.job.id);
            details.set(s.name, d);
            const estimate = d.estimated_complete_at ? Date.parse(d.estimated_complete_at) : null;
            polls.push({
              job: s.name,
              at,
              status: d.job_status,
              sent: d.success_count,
              position: d.queue_position,
              estimate,
            });
          }
          console.log(
            `t=${secs(nowMs() - t0)}: gateway ${gw.requests.length}/${total}; ` +
              jobs
                .map((s) => {
                  const p = polls.findLast((x) => x.job === s.name)!;
                  return (
                    `${s.name} ${p.status} sent ${p.sent}/${s.numbers.length}` +
                    (p.estimate === null ? '' : ` eta t=${secs(p.estimate - t0)}`)
                  );
                })
                .join('; '),
          );
          const allFinal = jobs.every((s) =>
            FINAL_STATUSES.includes(details.get(s.name)!.job_status),
          );
          if (gw.requests.length >= total && allFinal) break;
        }
        await sleep(50);
      }
      // Nothing more may arrive (no duplicates, no stray retries).
      await sleep(1_000);

      const report = new Report('eta');
      const results = jobs.map((s) => {
        const mine = new Set(s.numbers);
        const arrivals = gw!.requests.filter((r) => mine.has(r.to)).map((r) => r.at);
        const lastAt = Math.max(...arrivals);
        const firstAt = Math.min(...arrivals);
        const actualMs = lastAt - s.job.submittedAt;
        const errorMs = s.estimate - lastAt;
        const toleranceMs = Math.max(TOLERANCE_RATIO * actualMs, TOLERANCE_MIN_MS);
        return { s, arrivals, firstAt, lastAt, actualMs, errorMs, toleranceMs };
      });

      console.log('');
      for (const r of results) {
        console.log(
          `job ${r.s.name}: first SMS at t=${secs(r.firstAt - t0)}, last at t=${secs(r.lastAt - t0)} ` +
            `(${secs(r.actualMs)} after its submission); estimate at submission t=${secs(r.s.estimate - t0)}: ` +
            `error ${signed(r.errorMs)} = ${round((r.errorMs / r.actualMs) * 100, 1)} % ` +
            `(tolerance ±${secs(r.toleranceMs)})` +
            (r.s.name === 'B' ? '' : ' — information only'),
        );
      }
      console.log(
        `\nestimates from GET /api/sms/:id every ${POLL_EVERY_MS / 1000} s (information):`,
      );
      const pollErrors: Record<string, number[]> = {};
      for (const r of results) {
        const mine = polls.filter((p) => p.job === r.s.name && p.estimate !== null);
        pollErrors[r.s.name] = mine.map((p) => p.estimate! - r.lastAt);
        for (const p of mine) {
          console.log(
            `  ${r.s.name} at t=${secs(p.at - t0)} (${p.status}, sent ${p.sent}, position ${p.position}): ` +
              `eta t=${secs(p.estimate! - t0)}, error ${signed(p.estimate! - r.lastAt)}`,
          );
        }
      }
      const worstPoll = (name: string) =>
        pollErrors[name].length ? Math.max(...pollErrors[name].map(Math.abs)) : null;

      const [ra, rb] = results;
      if (!(Math.abs(rb.errorMs) <= rb.toleranceMs)) {
        report.fail(
          `B's estimate at submission is off by ${signed(rb.errorMs)}, beyond ±${secs(rb.toleranceMs)}`,
        );
      }
      // A clean run: every SMS reached the gateway exactly once, both jobs completed.
      const { missing, repeated } = deliveries(gw.requests, [...a.numbers, ...b.numbers]);
      if (gw.requests.length !== total)
        report.fail(`gateway got ${gw.requests.length} requests, expected ${total}`);
      if (missing.length) report.fail(`never sent: ${missing.join(', ')}`);
      if (repeated.length) report.fail(`sent more than once: ${timesText(repeated)}`);
      for (const s of jobs) {
        const d = await jobDetail(app, s.job.id);
        if (d.job_status !== 'completed' || d.success_count !== s.numbers.length)
          report.fail(`job ${s.name} ended ${d.job_status} with ${d.success_count} sent`);
      }
      if (a.job.queue_position !== 1 || b.job.queue_position !== 2)
        console.log(
          `note: queue positions at submission were A ${a.job.queue_position}, B ${b.job.queue_position} ` +
            `(A may already have been sending)`,
        );

      const bound = checkBound(
        gw.requests.map((r) => r.at),
        RATE,
        BURST,
        report.failures,
      );

      const appExit = await stopApp();

      const jobSummary = (r: (typeof results)[number]) => ({
        id: r.s.job.id,
        sms: r.s.numbers.length,
        queue_position: r.s.job.queue_position,
        estimate_s: round((r.s.estimate - r.s.job.submittedAt) / 1000, 3),
        actual_s: round(r.actualMs / 1000, 3),
        error_s: round(r.errorMs / 1000, 3),
        error_pct: round((r.errorMs / r.actualMs) * 100, 1),
        tolerance_s: round(r.toleranceMs / 1000, 3),
        poll_errors_s: pollErrors[r.s.name].map((e) => round(e / 1000, 3)),
        worst_poll_error_s:
          worstPoll(r.s.name) === null ? null : round(worstPoll(r.s.name)! / 1000, 3),
      });
      report.add(
        { name: 'job A ETA error at submission', value: round(ra.errorMs / 1000, 3), unit: 's' },
        {
          name: 'job B ETA error at submission',
          value: round(rb.errorMs / 1000, 3),
          unit: 's',
          target: `within ±${round(rb.toleranceMs / 1000, 3)}`,
          ok: Math.abs(rb.errorMs) <= rb.toleranceMs,
        },
        bound,
      );
      return report.finish(
        {
          database: db.server,
          clock_skew_ms: round(clockSkewMs, 1),
          a: jobSummary(ra),
          b: jobSummary(rb),
          app_exit_code: appExit,
        },
        () => app.dumpOutput('a check failed'),
      );
    },
  );
}

runBench(main);
