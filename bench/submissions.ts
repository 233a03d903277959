/**
 * Submission rate as the queue grows (issue "Fair queue"): many users each sending single
 * SMS must not slow the API down as their jobs pile up, i.e. nothing on the submission path
 * may cost in proportion to the unfinished jobs (the 202 answer carries queue_position and
 * estimated_complete_at).
 *
 * The real app (dist/src/main.js, one process, QUEUE_ROLE=all) with the queue paused (POST
 * /api/admin/queue/pause) so the queue only grows; 100 users made through the admin API; then
 * 100 000 POST /api/sms (one recipient each, distinct numbers), user k mod 100 for the k-th,
 * from 16 concurrent clients over keep-alive connections (one request in flight per client).
 * Progress is printed every 10 % (and every 30 s). Figures: overall rate (target ≥ 1 000/s),
 * the rate of the first 10 % and of the last 10 % of the submissions, and last / first
 * (target ≥ 80 %); for information the latency median and p99, the app's RSS (sampled every
 * 500 ms; `npm run bench` judges every app's peak too), and the CPU time a submission cost the
 * app, PostgreSQL (when it runs on this machine) and the bench's own clients: on a machine
 * they share, the sum is what bounds the rate. Checked: every answer 202,
 * nothing reached the gateway, one pending job and recipient in the database per accepted
 * submission.
 *
 * A run that has not finished after BENCH_SUBMISSIONS_TIMEOUT_S (default 300 s) stops there
 * and fails: the figures then cover what was submitted, the last 10 % is the last tenth of the
 * count that was asked for and so is missing, and the rate of the last 10 s (and its ratio to
 * the first 10 %'s) is shown instead.
 *
 * Run: npm run bench:submissions   (DATABASE_URL=postgres://... to use a server instead of embedded)
 * BENCH_SUBMISSIONS=n submits n instead of 100 000 (e.g. 20000 for a quick check).
 */
import { runBench } from '../test/support/cleanup.js';
import { createUsers, setPaused } from './lib/api.js';
import { lowerBound } from './lib/cluster-kit.js';
import { postmasterPid, processCpuMs, treeCpuDeltaMs, treeCpuMs } from './lib/proc-cpu.js';
import { KeepAliveClient, summarize } from './lib/http-timing.js';
import { Report } from './lib/report.js';
import { RssSampler } from './lib/rss-sampler.js';
import { withSingleApp } from './lib/setup.js';
import { hkNumbers, nowMs, round } from './lib/util.js';

const COUNT = Number(process.env.BENCH_SUBMISSIONS ?? 100_000);
const TIMEOUT_MS = Number(process.env.BENCH_SUBMISSIONS_TIMEOUT_S ?? 300) * 1000;
const USERS = 100;
const CLIENTS = 16;
const RATE_TARGET = 1_000;
const RATIO_TARGET = 0.8;
const PROGRESS_EVERY_MS = 30_000;

async function main(): Promise<number> {
  if (!Number.isInteger(COUNT) || COUNT < 100) throw new Error(`BENCH_SUBMISSIONS=${COUNT}`);
  const tenth = Math.floor(COUNT / 10);
  console.log(
    `submissions: ${COUNT} POST /api/sms from ${CLIENTS} keep-alive clients as ${USERS} users, queue ` +
      `paused; targets: overall ≥ ${RATE_TARGET}/s, last 10 % ≥ ${RATIO_TARGET * 100} % of the first ` +
      `10 %'s rate; gives up after ${TIMEOUT_MS / 1000} s`,
  );
  const report = new Report('submissions');
  let http: KeepAliveClient | undefined;
  return withSingleApp(
    'submissions',
    (db, gw) => ({ DATABASE_URL: db.url, SMS_PROVIDER: 'http', SMS_BASE_URL: gw.url }),
    async ({ db, gw, client, app, stopApp }) => {
      await setPaused(app, true);
      const usersStarted = nowMs();
      const users = await createUsers(app, 'submitter', USERS);
      console.log(`${USERS} users created in ${round((nowMs() - usersStarted) / 1000, 1)} s`);
      const numbers = hkNumbers(0, COUNT);
      http = new KeepAliveClient(app.baseUrl, CLIENTS);
      const rss = new RssSampler(app.pid, 500).start();
      const pgPid = await postmasterPid(db.url);
      const cpuBefore = {
        app: processCpuMs(app.pid),
        pg: pgPid ? treeCpuMs(pgPid) : null,
        bench: process.cpuUsage(),
      };

      // Completion time and latency of each answer, in the order they came back.
      const doneAt: number[] = [];
      const latencies: number[] = [];
      const bad: string[] = [];
      let next = 0;
      let timedOut = false;
      const started = nowMs();
      let lastProgress = started;
      let lastCount = 0;
      const progress = () => {
        const t = nowMs();
        const n = doneAt.length;
        const recent = latencies.slice(lastCount);
        const lat = recent.length ? summarize(recent) : undefined;
        console.log(
          `  ${n}/${COUNT} (${round((n / COUNT) * 100, 1)} %) after ${round((t - started) / 1000, 1)} s: ` +
            `${round(((n - lastCount) * 1000) / Math.max(1, t - lastProgress), 0)}/s since the last line` +
            (lat ? `, latency median ${lat.median_ms} ms, p99 ${lat.p99_ms} ms` : '') +
            `; app RSS ${rss.currentMb()} MB`,
        );
        lastProgress = t;
        lastCount = n;
      };
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (next < COUNT) {
            if (nowMs() - started > TIMEOUT_MS) {
              timedOut = true;
              return;
            }
            const k = next++;
            const r = await http!.request('POST', '/api/sms', users[k % USERS].token, {
              recipient: numbers[k],
              content: `submissions bench ${k + 1}`,
            });
            if (r.status !== 202) {
              bad.push(`#${k + 1}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
              continue;
            }
            doneAt.push(nowMs());
            latencies.push(r.ms);
            const n = doneAt.length;
            if (n % tenth === 0 || nowMs() - lastProgress >= PROGRESS_EVERY_MS) progress();
          }
        }),
      );
      const ended = nowMs();
      const done = doneAt.length;
      const appCpu = processCpuMs(app.pid);
      const perSubmission = (ms: number | null) =>
        ms === null || done === 0 ? null : round(ms / done, 3);
      const cpu = {
        app: perSubmission(
          appCpu === null || cpuBefore.app === null ? null : appCpu - cpuBefore.app,
        ),
        pg: perSubmission(
          pgPid && cpuBefore.pg ? treeCpuDeltaMs(cpuBefore.pg, treeCpuMs(pgPid)) : null,
        ),
        bench: perSubmission(cpuTotalMs(process.cpuUsage(cpuBefore.bench))),
      };
      if (done % tenth !== 0) progress();
      const mem = rss.stop();

      const rateBetween = (from: number, to: number, n: number) =>
        to > from ? (n * 1000) / (to - from) : null;
      const overall = rateBetween(started, doneAt.at(-1) ?? ended, done);
      const first = done >= tenth ? rateBetween(started, doneAt[tenth - 1], tenth) : null;
      const complete = done === COUNT;
      const last = complete
        ? rateBetween(doneAt[COUNT - tenth - 1], doneAt[COUNT - 1], tenth)
        : null;
      const ratio = first && last ? last / first : null;
      const lat = summarize(latencies);
      console.log(
        `\n${done} accepted in ${round((ended - started) / 1000, 1)} s: overall ${round(overall ?? 0, 1)}/s; ` +
          `first 10 % ${round(first ?? 0, 1)}/s, last 10 % ${last === null ? 'not reached' : `${round(last, 1)}/s`}; ` +
          `latency median ${lat.median_ms} ms, p99 ${lat.p99_ms} ms, max ${lat.max_ms} ms`,
      );
      console.log(
        `CPU a submission: app ${cpu.app ?? '?'} ms, PostgreSQL ${cpu.pg ?? '? (not on this machine)'} ms, ` +
          `bench clients ${cpu.bench} ms`,
      );

      if (timedOut)
        report.fail(
          `only ${done} of ${COUNT} submitted within ${TIMEOUT_MS / 1000} s (BENCH_SUBMISSIONS_TIMEOUT_S)`,
        );
      if (bad.length)
        report.fail(`${bad.length} answers were not 202, e.g. ${bad.slice(0, 3).join('; ')}`);
      report.check(
        `overall rate, ${complete ? COUNT : `${done} of ${COUNT}`} single-SMS submissions`,
        overall,
        '/s',
        `≥ ${RATE_TARGET}`,
        overall !== null && overall >= RATE_TARGET && complete,
      );
      report.check(`rate of the first 10 % (${tenth})`, first, '/s');
      report.check(`rate of the last 10 % (${tenth})`, last, '/s');
      report.check(
        'last 10 % / first 10 %',
        ratio === null ? null : ratio * 100,
        '%',
        `≥ ${RATIO_TARGET * 100}`,
        ratio !== null && ratio >= RATIO_TARGET,
      );
      if (!complete) {
        // What the rate had come down to when the run gave up.
        const from = ended - 10_000;
        const recent = rateBetween(from, ended, done - lowerBound(doneAt, from));
        report.check('rate over the last 10 s (run stopped)', recent, '/s');
        if (recent !== null && first)
          report.check('last 10 s / first 10 % (run stopped)', (recent / first) * 100, '%');
      }
      report.add(
        { name: 'submission latency median', value: lat.median_ms, unit: 'ms' },
        { name: 'submission latency p99', value: lat.p99_ms, unit: 'ms' },
        { name: 'app RSS peak (sampled)', value: mem.maxMb, unit: 'MB' },
        { name: 'app CPU a submission', value: cpu.app, unit: 'ms' },
        { name: 'PostgreSQL CPU a submission', value: cpu.pg, unit: 'ms' },
        { name: 'bench clients CPU a submission', value: cpu.bench, unit: 'ms' },
      );

      if (gw.requests.length) report.fail(`${gw.requests.length} SMS sent while paused`);
      const { rows } = await client.query<{ jobs: number; pending: number }>(
        `SELECT (SELECT count(*)::int FROM messages WHERE job_status = 'pending') AS jobs,
                (SELECT count(*)::int FROM recipients WHERE status = 'pending') AS pending`,
      );
      if (rows[0].jobs !== done || rows[0].pending !== done)
        report.fail(
          `database holds ${rows[0].jobs} pending jobs and ${rows[0].pending} pending recipients, ` +
            `expected ${done} each`,
        );
      http.close();
      const appExit = await stopApp();
      return report.finish(
        {
          database: db.server,
          count: COUNT,
          done,
          clients: CLIENTS,
          users: USERS,
          seconds: round((ended - started) / 1000, 1),
          latency: lat,
          app_exit_code: appExit,
        },
        () => app.dumpOutput('a check failed'),
      );
    },
  ).finally(() => http?.close());
}

const cpuTotalMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

runBench(main);
