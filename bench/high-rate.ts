/**
 * High rate (spec/QUEUE.md, "Rate limit": batches, "no waste"): one API process and three
 * worker processes on one database drain a backlog of 60 000 SMS (six bulk jobs of 10 000,
 * submitted through the API while the queue is paused, then resumed at once) at 2000/s with a
 * burst of 200, into a local fake gateway that answers at once and records every arrival.
 * Checks:
 * - the steady rate (arrivals after the first second until the last one, per second) is
 *   >= 90 % of 2000/s;
 * - in every window [a_i, a_j] of arrivals: count <= 200 + 2000 × t (5 ms slack);
 * - every number reached the gateway exactly once and every job ended `completed`.
 * It runs twice, each on a fresh database and cluster (FAIRNESS.md's table): the backlog of
 * one user (the bench admin's six bulks) and of 100 users backlogged together (users made
 * through the admin API, each submitting one bulk of N / 100 with its own token while the
 * queue is paused: real enqueues, fair tags interleaving the users as the app writes them).
 * Figures and failures start with "1 user:" and "100 users:".
 * Prints per-second arrival counts, the worst window, the workers' SQL statements by kind
 * and per SMS (qcount-preload), database transactions per SMS (pg_stat_database), the CPU
 * used by each process and the machine's idle share, and a final JSON line. Exit code 1
 * when a check fails. About 60 s a run.
 *
 * Tuning (environment of the bench, passed on to the workers):
 *   HIGHRATE_CONCURRENCY   QUEUE_CONCURRENCY of each worker (default 128)
 *   HIGHRATE_JITTER_MS     RATE_LIMIT_JITTER_MS (default: the app's own, 100)
 *   HIGHRATE_BURST         SMS_BURST_CAPACITY (default 400: room for the 100 ms delivery
 *                          reserve, rate × 0.1 s = 200 tokens, within half the bucket)
 *   HIGHRATE_POOL          DATABASE_POOL_SIZE (default: the app's own, 10)
 *   HIGHRATE_WORKERS       worker processes (default 3)
 *   HIGHRATE_N             backlog size, a multiple of 10 000 (default 60 000)
 *   HIGHRATE_USERS         a list: one run (a fresh cluster) per value (default 1,100)
 *   HIGHRATE_EXPLAIN=1     half-way through, EXPLAIN (ANALYZE) one claim (rolled back)
 * A diagnostic that changes the conditions (to measure what a change in src/ would buy; the
 * run is then not a measurement of the app as it is, and says so):
 *   HIGHRATE_ANALYZE=1     ANALYZE recipients after the backlog is queued
 *
 * Run: npm run bench:highrate   (DATABASE_URL=postgres://... to use a server instead of embedded)
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pg from 'pg';
import { withJitOff } from '../src/database/planner-pool.js';
import { CLAIM_PLANNER_SETTINGS } from '../src/queue/claim-connections.js';
import { claimSql } from '../src/queue/queue.repository.js';
import { runBench } from '../test/support/cleanup.js';
import { parseMetrics } from '../test/support/metrics-text.js';
import {
  createUsers,
  deliveries,
  queueStatus,
  setPaused,
  submitBulk,
  waitForJob,
} from './lib/api.js';
import {
  compactCounts,
  diffQueryCounts,
  lowerBound,
  parseQueryCounts,
  perSecondCounts,
  queryCountsAt,
  withCluster,
} from './lib/cluster-kit.js';
import {
  machineCpuMs,
  postmasterPid,
  processCpuMs,
  treeCpuDeltaMs,
  treeCpuMs,
} from './lib/proc-cpu.js';
import { worstWindow } from '../test/support/rate-check.js';
import { Report } from './lib/report.js';
import { hkNumbers, median, nowMs, round, sleep } from './lib/util.js';

const envInt = (name: string, fallback: number) => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}=${v}: not a whole number`);
  return n;
};

const RATE = 2000;
const BURST = envInt('HIGHRATE_BURST', 400);
const CONCURRENCY = envInt('HIGHRATE_CONCURRENCY', 128);
const JITTER_MS = process.env.HIGHRATE_JITTER_MS;
const POOL = process.env.HIGHRATE_POOL;
const EXPLAIN = process.env.HIGHRATE_EXPLAIN === '1';
const ANALYZE = process.env.HIGHRATE_ANALYZE === '1';
const WORKERS = envInt('HIGHRATE_WORKERS', 3);
const JOB_SIZE = 10_000;
const USER_COUNTS = (process.env.HIGHRATE_USERS ?? '1,100').split(',').map((s) => Number(s.trim()));
const N = envInt('HIGHRATE_N', 60_000);
const SLACK_MS = 5;
const MIN_RATIO = 0.9;
/** The steady part starts this long after the first arrival. */
const WARMUP_MS = 1_000;
const PROGRESS_EVERY_MS = 2_000;
/**
 * Ideal drain (N - BURST) / RATE; stop waiting at 3× that + 10 s and report what arrived
 * (a far too slow run says all it has to say by then).
 */
const DRAIN_TIMEOUT_MS = ((N - BURST) / RATE) * 3_000 + 10_000;

/** One row of a statistics view, its counters as numbers. */
async function statsRow<K extends string>(
  client: pg.Client,
  sql: string,
): Promise<Record<K, number>> {
  const row = (await client.query<Record<K, string>>(sql)).rows[0];
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)])) as Record<
    K,
    number
  >;
}

const dbStats = (client: pg.Client) =>
  statsRow<'xact_commit' | 'xact_rollback' | 'tup_updated'>(
    client,
    `SELECT xact_commit, xact_rollback, tup_updated FROM pg_stat_database WHERE datname = current_database()`,
  );

const recipientsStats = (client: pg.Client) =>
  statsRow<'n_tup_upd' | 'n_tup_hot_upd' | 'n_dead_tup' | 'autovacuum_count' | 'autoanalyze_count'>(
    client,
    `SELECT n_tup_upd, n_tup_hot_upd, n_dead_tup, autovacuum_count, autoanalyze_count
     FROM pg_stat_user_tables WHERE relname = 'recipients'`,
  );

/**
 * The app's own claim statement (the size this bench's workers use), EXPLAINed with ANALYZE
 * under the claim connections' planner settings, inside a transaction that is rolled back:
 * what one claim costs half-way through the drain.
 */
async function explainClaim(client: pg.Client): Promise<void> {
  const t0 = nowMs();
  await client.query('BEGIN');
  try {
    for (const [name, value] of Object.entries(withJitOff(CLAIM_PLANNER_SETTINGS)))
      await client.query(`SELECT set_config($1, $2, true)`, [name, value]);
    const res = await client.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, BUFFERS) ${claimSql(CONCURRENCY)}`,
      ['bench-explain', 30_000],
    );
    const dead = await client.query<{ n_dead_tup: string; n_live_tup: string }>(
      `SELECT n_dead_tup, n_live_tup FROM pg_stat_user_tables WHERE relname = 'recipients'`,
    );
    console.log(
      `  EXPLAIN of a claim of ${CONCURRENCY} half-way (recipients: ${dead.rows[0]?.n_live_tup} live, ` +
        `${dead.rows[0]?.n_dead_tup} dead tuples; took ${round(nowMs() - t0, 1)} ms):`,
    );
    for (const r of res.rows) console.log(`    ${r['QUERY PLAN']}`);
  } finally {
    await client.query('ROLLBACK');
  }
}

async function main(): Promise<number> {
  if (N % JOB_SIZE !== 0 || N === 0)
    throw new Error(`HIGHRATE_N must be a multiple of ${JOB_SIZE}`);
  for (const u of USER_COUNTS)
    if (!Number.isInteger(u) || u < 1 || N % u !== 0)
      throw new Error(`HIGHRATE_USERS: ${u} users cannot share ${N} SMS equally`);
  console.log(
    `high-rate: ${N} SMS (${N / JOB_SIZE} bulk jobs of ${JOB_SIZE}) through 1 API + ${WORKERS} workers at ${RATE}/s, ` +
      `burst ${BURST}, QUEUE_CONCURRENCY=${CONCURRENCY}, RATE_LIMIT_JITTER_MS=${JITTER_MS ?? '(app default)'}, ` +
      `DATABASE_POOL_SIZE=${POOL ?? '(app default)'}` +
      (ANALYZE ? '; DIAGNOSTIC RUN: ANALYZE after enqueue' : '') +
      `; targets: steady rate >= ${MIN_RATIO * 100} % of ${RATE}/s, ` +
      `count <= ${BURST} + ${RATE} × t in every window (${SLACK_MS} ms slack)`,
  );
  const report = new Report('high-rate');
  const details: Record<string, unknown> = {};
  for (const users of USER_COUNTS) {
    const label = `${users} user${users === 1 ? '' : 's'}`;
    console.log(`\n=== ${label}`);
    details[label] = await runCluster(report, users, `${label}: `);
  }
  return report.finish(details);
}

/**
 * One drain on a fresh cluster with the backlog of `users` users; figures and failures go
 * into `report`, their names starting with `prefix`. Returns the run's details.
 */
async function runCluster(
  report: Report,
  users: number,
  prefix: string,
): Promise<Record<string, unknown>> {
  const figure = (name: string, ...rest: [number | null, string, string | null, boolean | null]) =>
    report.check(`${prefix}${name}`, ...rest);
  const fail = (line: string) => report.fail(`${prefix}${line}`);
  return withCluster(
    'highrate',
    (db, gw) => ({
      DATABASE_URL: db.url,
      SMS_PROVIDER: 'http',
      SMS_BASE_URL: gw.url,
      SMS_RATE_PER_SEC: String(RATE),
      SMS_BURST_CAPACITY: String(BURST),
      QUEUE_CONCURRENCY: String(CONCURRENCY),
      ...(JITTER_MS !== undefined ? { RATE_LIMIT_JITTER_MS: JITTER_MS } : {}),
      ...(POOL !== undefined ? { DATABASE_POOL_SIZE: POOL } : {}),
    }),
    WORKERS,
    { countQueries: true },
    async ({ db, gw: gateway, api, workers, stopAll, client: pgc }) => {
      const pmPid = await postmasterPid(db.url);

      // The backlog goes in while the queue is paused, so the drain starts with all of it:
      // the admin's bulks, or one bulk of each user with its own token.
      await setPaused(api, true);
      const senders =
        users === 1
          ? [undefined]
          : (await createUsers(api, 'highrate_user', users)).map((u) => u.token);
      const jobSize = users === 1 ? JOB_SIZE : N / users;
      const jobs: { id: number; token?: string }[] = [];
      const ingestMs: number[] = [];
      for (let k = 0; k < N / jobSize; k++) {
        const token = senders[k % senders.length];
        const job = await submitBulk(
          api,
          hkNumbers(k * jobSize, jobSize),
          `smspanel high-rate bench, job ${k + 1}`,
          token,
        );
        ingestMs.push(job.ms);
        jobs.push({ id: job.id, token });
      }
      console.log(
        `backlog of ${N} queued (paused) in ${ingestMs.length} requests of ${jobSize}` +
          (users === 1 ? '' : ` (${users} users)`) +
          `: ${ingestMs.length > 10 ? `median ${round(median(ingestMs), 0)}, max ${round(Math.max(...ingestMs), 0)}` : ingestMs.map((ms) => round(ms, 0)).join(', ')} ms`,
      );
      if (gateway.requests.length !== 0)
        throw new Error(`${gateway.requests.length} requests reached the gateway while paused`);
      if (ANALYZE) {
        const t0 = nowMs();
        await pgc.query('ANALYZE recipients');
        console.log(`ANALYZE recipients (diagnostic): ${round(nowMs() - t0, 0)} ms`);
      }
      // Let the ingest settle (statistics, the API's connections) before the clock starts.
      await sleep(1_500);

      const statsBefore = await dbStats(pgc);
      const tableBefore = await recipientsStats(pgc);
      const pgCpuBefore = pmPid ? treeCpuMs(pmPid) : new Map<number, number>();
      const machineBefore = machineCpuMs();
      const procs = [api, ...workers];
      const cpuBefore = procs.map((p) => processCpuMs(p.pid));
      const benchCpuBefore = process.cpuUsage();
      // The gateway runs in this process: a stall here delays the recorded arrival times.
      const benchLoop = monitorEventLoopDelay({ resolution: 5 });
      benchLoop.enable();
      const benchLoopMax: { t: number; maxMs: number }[] = [];
      const benchLoopTimer = setInterval(() => {
        benchLoopMax.push({ t: nowMs(), maxMs: benchLoop.max / 1e6 });
        benchLoop.reset();
      }, 1000);
      const resumedAt = nowMs();
      await setPaused(api, false);
      const countsAtResume = workers.map((w) => queryCountsAt(w.output(), resumedAt));

      let lastProgress = nowMs();
      let lastCount = 0;
      let explained = !EXPLAIN;
      let timedOut = false;
      while (gateway.requests.length < N) {
        if (nowMs() - resumedAt > DRAIN_TIMEOUT_MS) {
          timedOut = true;
          fail(
            `backlog not drained: only ${gateway.requests.length}/${N} requests after ${round(DRAIN_TIMEOUT_MS / 1000, 0)} s ` +
              `(the figures below cover what arrived)`,
          );
          break;
        }
        if (!explained && gateway.requests.length >= N / 2) {
          explained = true;
          await explainClaim(pgc);
        }
        if (nowMs() - lastProgress >= PROGRESS_EVERY_MS) {
          const t = nowMs();
          const got = gateway.requests.length;
          const s = await queueStatus(api);
          console.log(
            `  ${round((t - resumedAt) / 1000, 1)} s: ${got}/${N} at the gateway, last ${round((t - lastProgress) / 1000, 1)} s ` +
              `${round(((got - lastCount) * 1000) / (t - lastProgress), 0)}/s; queue depth ${s.queue_depth}, tokens ${s.tokens_available}`,
          );
          lastProgress = t;
          lastCount = got;
        }
        await sleep(50);
      }
      const drainedAt = nowMs();
      clearInterval(benchLoopTimer);
      benchLoop.disable();
      const cpuAfter = procs.map((p) => processCpuMs(p.pid));
      const benchCpu = process.cpuUsage(benchCpuBefore);
      const pgCpuAfter = pmPid ? treeCpuMs(pmPid) : new Map<number, number>();
      const machineAfter = machineCpuMs();
      const countsAtDrain = workers.map((w) => queryCountsAt(w.output(), drainedAt + 1_000));

      // Jobs must end completed; then nothing more may arrive, and the statistics settle.
      const details = [];
      for (const j of timedOut ? [] : jobs)
        details.push(await waitForJob(api, j.id, 30_000, 200, j.token));
      await sleep(1_500);
      const statsAfter = await dbStats(pgc);
      const tableAfter = await recipientsStats(pgc);

      const arrivals = gateway.requests.map((r) => r.at).sort((a, b) => a - b);
      const first = arrivals[0];
      const last = arrivals.at(-1)!;
      const steadyFrom = first + WARMUP_MS;
      const steadyCount = arrivals.length - lowerBound(arrivals, steadyFrom + 1e-9);
      const steadyRate = steadyCount / ((last - steadyFrom) / 1000);
      const overallRate = (arrivals.length - BURST) / ((last - first) / 1000);
      const worst = worstWindow(arrivals, RATE, BURST, SLACK_MS);
      const perSecond = perSecondCounts(arrivals, first);
      const { perNumber, repeated } = deliveries(gateway.requests, []);
      const duplicated = repeated.length;
      const distinct = perNumber.size;

      console.log(
        `\nfirst request ${round(first - resumedAt, 1)} ms after the resume; arrivals span ${round((last - first) / 1000, 3)} s`,
      );
      console.log(`per second from the first arrival: ${compactCounts(perSecond)}`);
      console.log(
        `steady rate (after the first ${WARMUP_MS} ms until the last arrival): ${round(steadyRate, 1)}/s = ` +
          `${round((steadyRate / RATE) * 100, 2)} % of ${RATE}/s (min ${MIN_RATIO * 100} %); overall (n - burst) / span ${round(overallRate, 1)}/s`,
      );
      const w = worst.window!;
      console.log(
        `worst window: #${w.i + 1}..#${w.j + 1} = ${w.count} requests in ${round(w.spanMs, 2)} ms, bound ${BURST} + ${RATE} × ${round(w.spanMs / 1000, 5)} s ` +
          `= ${round(w.bound, 2)}; excess ${round(worst.excess, 2)} (${round(worst.excessWithSlack, 2)} with ${SLACK_MS} ms slack) → ` +
          (worst.holds ? 'bound holds' : 'BOUND BROKEN'),
      );

      // Around the worst window: arrivals per 50 ms, and the event-loop stalls of every process
      // in the seconds it spans (a stall after a token was taken bunches requests up; a stall
      // of the bench process bunches up the recorded arrival times).
      const bin = 50;
      const binFrom = Math.floor((w.fromMs - 300 - first) / bin) * bin + first;
      const bins: number[] = [];
      for (let t = binFrom; t < w.toMs + 300; t += bin)
        bins.push(lowerBound(arrivals, t + bin) - lowerBound(arrivals, t));
      console.log(
        `worst window from ${round((w.fromMs - first) / 1000, 3)} s to ${round((w.toMs - first) / 1000, 3)} s after the first arrival; ` +
          `arrivals per ${bin} ms from ${round((binFrom - first) / 1000, 2)} s (ideal ${(RATE * bin) / 1000}): ${bins.join(' ')}`,
      );
      const near = (t: number) => t >= w.fromMs - 1_000 && t <= w.toMs + 2_000;
      const stalls = [
        `bench+gateway ${round(Math.max(0, ...benchLoopMax.filter((b) => near(b.t)).map((b) => b.maxMs)), 0)}`,
        ...workers.map((wk) => {
          const m = parseQueryCounts(wk.output())
            .filter((c) => near(c.t))
            .map((c) => c.loop_max_ms);
          return `${wk.label} ${round(Math.max(0, ...m), 0)}`;
        }),
      ];
      console.log(`event-loop max (ms) in the seconds around it: ${stalls.join(', ')}`);
      console.log(
        `bench+gateway event-loop max per second (ms): ${benchLoopMax.map((b) => Math.round(b.maxMs)).join(' ')}`,
      );

      // Statements by kind, from the workers' own counters, over the drain.
      const totals: Record<string, { n: number; ms: number }> = {};
      let granted = 0;
      let claimed = 0;
      let refused = 0;
      let emptyClaims = 0;
      console.log('\nper worker over the drain:');
      workers.forEach((wk, k) => {
        const end = countsAtDrain[k];
        if (!end) return;
        const d = diffQueryCounts(countsAtResume[k], end, wk.output());
        for (const [kind, v] of Object.entries(d.q)) {
          const t = (totals[kind] ??= { n: 0, ms: 0 });
          t.n += v.n;
          t.ms += v.ms;
        }
        granted += d.granted;
        claimed += d.claimed;
        refused += d.takes_refused;
        emptyClaims += d.claims_empty;
        const take = d.q.take?.n ?? 0;
        const claims = d.q.claim?.n ?? 0;
        console.log(
          `  ${wk.label} (pid ${wk.pid}): tokens ${d.granted} in ${take} takes (${d.takes_refused} refused, ` +
            `${round(d.granted / Math.max(1, take - d.takes_refused), 1)} per granted take, mean take ${round((d.q.take?.ms ?? 0) / Math.max(1, take), 2)} ms), ` +
            `claimed ${d.claimed} in ${claims} claims (${round(d.claimed / Math.max(1, claims), 1)} per claim, mean ${round((d.q.claim?.ms ?? 0) / Math.max(1, claims), 2)} ms), ` +
            `records ${d.q.record?.n ?? 0} (mean ${round((d.q.record?.ms ?? 0) / Math.max(1, d.q.record?.n ?? 0), 2)} ms), ` +
            `pause checks ${d.q.paused?.n ?? 0}; event loop p99 ≤ ${d.loop_p99_ms} ms, max ${d.loop_max_ms} ms`,
        );
      });
      // Per-second view of each worker: tokens taken, worst event-loop delay.
      workers.forEach((wk) => {
        const lines = parseQueryCounts(wk.output()).filter(
          (c) => c.t > resumedAt && c.t <= drainedAt + 1_000,
        );
        const tokens = lines.slice(1).map((c, k) => c.granted - lines[k].granted);
        console.log(
          `  ${wk.label} per second: tokens ${compactCounts(tokens)}; event-loop max ms ` +
            `${lines.map((c) => Math.round(c.loop_max_ms)).join(' ')}`,
        );
      });
      const sent = arrivals.length;
      // Tokens a stalled worker held past RATE_LIMIT_JITTER_MS are given up, not spent.
      const expired = await Promise.all(workers.map((wk) => expiredTokens(wk.baseUrl)));
      console.log(`tokens given up by stalled workers (expired): ${expired.join(' + ')}`);
      const statements = Object.values(totals).reduce((a, b) => a + b.n, 0);
      const kinds = Object.entries(totals)
        .sort((a, b) => b[1].n - a[1].n)
        .map(([k, v]) => `${k} ${v.n} (${round(v.n / sent, 3)}/SMS)`)
        .join(', ');
      console.log(
        `workers' statements over the drain: ${statements} = ${round(statements / sent, 3)} per SMS: ${kinds}`,
      );
      const xacts =
        statsAfter.xact_commit +
        statsAfter.xact_rollback -
        statsBefore.xact_commit -
        statsBefore.xact_rollback;
      console.log(
        `database (pg_stat_database, resume → drain + settle): ${xacts} transactions = ${round(xacts / sent, 3)} per SMS ` +
          `(${statsAfter.xact_rollback - statsBefore.xact_rollback} rolled back), rows updated ${round((statsAfter.tup_updated - statsBefore.tup_updated) / sent, 2)}/SMS`,
      );
      const upd = tableAfter.n_tup_upd - tableBefore.n_tup_upd;
      const hot = tableAfter.n_tup_hot_upd - tableBefore.n_tup_hot_upd;
      console.log(
        `recipients table: ${upd} row updates (${round(upd / sent, 2)}/SMS), ${round(upd ? (hot / upd) * 100 : 0, 1)} % HOT; ` +
          `${tableAfter.n_dead_tup} dead tuples at the end; autovacuum ran ${tableAfter.autovacuum_count - tableBefore.autovacuum_count}×, ` +
          `autoanalyze ${tableAfter.autoanalyze_count - tableBefore.autoanalyze_count}× during the drain`,
      );

      // CPU: who used the machine during the drain.
      const spanS = (drainedAt - resumedAt) / 1000;
      const pct = (ms: number | null) => (ms === null ? 'n/a' : `${round(ms / 10 / spanS, 0)} %`);
      const cpuLines = procs.map((p, k) => {
        const a = cpuBefore[k];
        const b = cpuAfter[k];
        return `${p.label} ${pct(a === null || b === null ? null : b - a)}`;
      });
      cpuLines.push(`bench+gateway ${pct((benchCpu.user + benchCpu.system) / 1000)}`);
      const pgCpuMs = pmPid ? treeCpuDeltaMs(pgCpuBefore, pgCpuAfter) : null;
      cpuLines.push(`postgres ${pct(pgCpuMs)}`);
      let machineBusy: number | null = null;
      if (machineBefore && machineAfter) {
        const total = machineAfter.totalMs - machineBefore.totalMs;
        const idle = machineAfter.idleMs - machineBefore.idleMs;
        machineBusy = total > 0 ? ((total - idle) / total) * 100 : null;
      }
      console.log(
        `CPU over the drain (${round(spanS, 1)} s; % of one core): ${cpuLines.join(', ')}; ` +
          `machine busy ${machineBusy === null ? 'n/a' : round(machineBusy, 0)} % of all cores`,
      );

      const ok1 = steadyRate >= RATE * MIN_RATIO;
      figure('steady rate', steadyRate, '/s', `>= ${RATE * MIN_RATIO}`, ok1);
      figure(
        'steady rate / configured',
        (steadyRate / RATE) * 100,
        '%',
        `>= ${MIN_RATIO * 100}`,
        ok1,
      );
      figure(
        'worst window excess (every window)',
        worst.excessWithSlack,
        'requests',
        '<= 0',
        worst.holds,
      );
      figure('drain time', (last - first) / 1000, 's', null, null);
      figure('worker statements per SMS', statements / sent, 'statements', null, null);
      figure('database transactions per SMS', xacts / sent, 'transactions', null, null);
      figure(
        'tokens per granted take',
        granted / Math.max(1, (totals.take?.n ?? 0) - refused),
        'tokens',
        null,
        null,
      );
      figure('rows per claim', claimed / Math.max(1, totals.claim?.n ?? 0), 'rows', null, null);
      figure('machine busy (CPU)', machineBusy, '%', null, null);
      if (!timedOut && (distinct !== N || sent !== N))
        fail(`gateway got ${sent} requests for ${distinct} numbers, expected ${N} once each`);
      if (duplicated) fail(`${duplicated} numbers sent more than once`);
      const notDone = details.filter(
        (d) => d.job_status !== 'completed' || d.success_count !== jobSize,
      );
      if (notDone.length)
        fail(
          `jobs not completed: ${notDone.map((d) => `${d.id} ${d.job_status} ${d.success_count}`).join(', ')}`,
        );

      const codes = await stopAll();
      if (codes.some((c) => c !== 0))
        console.warn(`warning: exit codes after SIGTERM: ${codes.join(', ')}`);

      return {
        database: db.server,
        users,
        n: N,
        rate: RATE,
        burst: BURST,
        workers: WORKERS,
        concurrency: CONCURRENCY,
        jitter_ms: JITTER_MS === undefined ? null : Number(JITTER_MS),
        pool: POOL === undefined ? null : Number(POOL),
        diagnostic: { analyze: ANALYZE },
        per_second: perSecond,
        worst_window: { count: w.count, span_ms: round(w.spanMs, 2), bound: round(w.bound, 2) },
        statements: Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, v.n])),
        ingest_ms: ingestMs.map((ms) => round(ms, 0)),
        empty_claims: emptyClaims,
        tokens_expired: expired.reduce((a, b) => a + b, 0),
      };
    },
  );
}

runBench(main);

/** A worker's smspanel_rate_limit_tokens_expired_total, from its /metrics. */
async function expiredTokens(baseUrl: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  return parseMetrics(text).get('smspanel_rate_limit_tokens_expired_total') ?? NaN;
}
