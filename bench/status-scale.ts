/**
 * Status endpoints on a large backlog: GET /api/queue/status and GET /api/sms/:id must stay
 * fast however many SMS are waiting and whatever the backlog's shape (spec/API.md "Queue and
 * rate limit", spec/QUEUE.md "Job status and estimates", spec/FAIRNESS.md "Position and
 * estimates": cost). Two scenarios, each on a fresh database:
 *
 * - jobs: 1 000 000 SMS waiting in 1 000 pending jobs of 1 000 of one user;
 * - fair (FAIRNESS.md): 100 000 unfinished single-SMS jobs, 100 from each of 1 000 users,
 *   beside one 1 000 000-recipient bulk of another user.
 *
 * The backlog is written straight into the database with set-based SQL (bench/lib/backlog.ts:
 * recipient_count = the job's recipients, ordinals 1..n, counts zero, the fair tags and
 * `user_lanes` rows the app writes on enqueue, plain INSERTs so the triggers that keep the
 * running totals in `lane_loads` fire; all checked afterwards), then ANALYZE. The backlog owner is made through the admin API; the fair scenario's 1 000 users
 * are written into `users` with API tokens of their own (bench/lib/backlog.ts insertUsers). The
 * real app (dist/src/main.js) is then started with QUEUE_ROLE=api, so nothing is sent (checked:
 * the fake gateway must receive nothing), and measured over one keep-alive HTTP connection,
 * requests one after the other, 50 warm-up requests then 500 measured per endpoint (each
 * series stops after BENCH_SCALE_SERIES_S, default 30 s, and counts what it measured):
 * - GET /api/queue/status without a token (public),
 * - GET /api/queue/status with a token (adds the `user` section): jobs: the owner's; fair: a
 *   user of single jobs, and the bulk's owner;
 * - GET /api/sms/:id, with the job owner's token: jobs: the first, middle and last job in
 *   turn; fair: 500 single jobs picked at random (of any of the 1 000 users).
 * GET /api/health/live is measured first the same way, as a baseline (not a target): what any
 * request costs in this app without the database.
 * The app's RSS (VmRSS of /proc/<pid>/status) is sampled every 100 ms meanwhile.
 *
 * Targets: issue "Status": median < 50 ms for every endpoint; issue "Performance" and
 * FAIRNESS.md (stricter): median < 10 ms and p99 < 50 ms; both: app RSS < 300 MB. The strict
 * verdict decides the exit code; with BENCH_STRICT=0 the looser "Status" verdict does.
 * Afterwards the SQL behind the endpoints (the app's own repositories, run on this backlog) is
 * timed and its EXPLAIN (ANALYZE, BUFFERS) summarised; full plans are printed when a target of
 * either verdict is missed, or always with BENCH_EXPLAIN=1.
 *
 * Run: npm run bench:scale   (DATABASE_URL=postgres://... to use a server instead of embedded)
 * BENCH_SCALE_SCENARIOS=jobs,fair picks scenarios (default both). BENCH_SCALE_JOBS=n builds n
 * jobs of 1 000 instead of 1 000 in the jobs scenario, BENCH_SCALE_FAIR_USERS=n n users of 100
 * single jobs instead of 1 000 beside a bulk of 1 000 × n (quick checks only).
 */
import pg from 'pg';
import type { AppConfig } from '../src/config/app-config.js';
import { MessagesRepository } from '../src/messages/messages.repository.js';
import { EstimatesRepository } from '../src/status/estimates.repository.js';
import { StatusRepository } from '../src/status/status.repository.js';
import { runBench } from '../test/support/cleanup.js';
import { createUser } from './lib/api.js';
import { insertFairBacklog, insertUsers } from './lib/backlog.js';
import { KeepAliveClient, summarize, type LatencySummary } from './lib/http-timing.js';
import {
  captureQueries,
  oneLine,
  profileQuery,
  type CapturedQuery,
  type QueryOnlyDataSource,
  type QueryTiming,
} from './lib/query-profile.js';
import { Report } from './lib/report.js';
import { RssSampler } from './lib/rss-sampler.js';
import { withBench } from './lib/setup.js';
import { nowMs, round } from './lib/util.js';

const SCENARIOS = (process.env.BENCH_SCALE_SCENARIOS ?? 'jobs,fair')
  .split(',')
  .map((s) => s.trim());
const JOBS = Number(process.env.BENCH_SCALE_JOBS ?? 1_000);
const PER_JOB = 1_000;
const FAIR_USERS = Number(process.env.BENCH_SCALE_FAIR_USERS ?? 1_000);
const FAIR_SINGLES_EACH = 100;
/** Recipients per INSERT: a progress line each. */
const CHUNK_ROWS = 50_000;
const WARMUP = 50;
const REQUESTS = 500;
const SERIES_MAX_MS = Number(process.env.BENCH_SCALE_SERIES_S ?? 30) * 1000;
const PROGRESS_EVERY = 100;

const STATUS_MEDIAN_MS = 50;
const STRICT_MEDIAN_MS = 10;
const STRICT_P99_MS = 50;
const RSS_MAX_MB = 300;
const STRICT = process.env.BENCH_STRICT !== '0';
const EXPLAIN_ALWAYS = process.env.BENCH_EXPLAIN === '1';

type Envelope<T> = { success: boolean; data: T };

interface Target {
  path: string;
  token?: string;
}

interface Series {
  name: string;
  targets: Target[];
  /** Measured for comparison only, not against the targets. */
  baseline?: boolean;
}

interface SeriesResult {
  name: string;
  baseline: boolean;
  summary: LatencySummary;
  /** Per path when the series cycles over a few (the first, middle and last job). */
  perPath: { path: string; summary: LatencySummary }[];
  non200: number;
}

/** What a scenario built, and what its endpoints must answer. */
interface Built {
  /** Description for the log. */
  what: string;
  jobs: number;
  sms: number;
  /** Unfinished jobs and SMS of the user whose token the sanity check uses. */
  probe: { token: string; userId: number; jobs: number; sms: number; jobIds: number[] };
  activeUsers: number;
  /** Job detail checks: [label, id, owner token, expected queue_position or null (any)]. */
  details: [string, number, string, number | null][];
  series: Series[];
}

interface Scenario {
  name: string;
  /** Figure names start with this. */
  prefix: string;
  build(client: pg.Client, owner: { id: number; token: string }): Promise<Built>;
}

const fmt = (ms: number) => `${ms.toFixed(2)} ms`.padStart(10);
const thousands = (n: number) => n.toLocaleString('en-US').replace(/,/g, ' ');

function progressPrinter(total: number): (done: number) => void {
  const started = nowMs();
  return (done) => {
    const s = (nowMs() - started) / 1000;
    console.log(
      `backlog: ${thousands(done)}/${thousands(total)} SMS (${Math.round((done / total) * 100)} %) ` +
        `after ${round(s, 1)} s, ${thousands(Math.round(done / s))} rows/s`,
    );
  };
}

const JOBS_SCENARIO: Scenario = {
  name: 'jobs',
  prefix: '',
  async build(client, owner) {
    const total = JOBS * PER_JOB;
    const [ids] = await insertFairBacklog(client, {
      owners: [{ userId: owner.id, jobs: JOBS, perJob: PER_JOB }],
      label: 'status-scale',
      chunkRows: CHUNK_ROWS,
      onProgress: progressPrinter(total),
    });
    const [first, middle, last] = [ids[0], ids[Math.floor(ids.length / 2)], ids.at(-1)!];
    return {
      what: `${thousands(total)} SMS waiting in ${thousands(JOBS)} pending jobs of one user`,
      jobs: JOBS,
      sms: total,
      probe: { token: owner.token, userId: owner.id, jobs: JOBS, sms: total, jobIds: ids },
      activeUsers: 1,
      details: [
        ['first', first, owner.token, 1],
        ['middle', middle, owner.token, Math.floor(ids.length / 2) + 1],
        ['last', last, owner.token, JOBS],
      ],
      series: [
        {
          name: 'GET /api/queue/status (token)',
          targets: [{ path: '/api/queue/status', token: owner.token }],
        },
        {
          name: 'GET /api/sms/:id (first/middle/last)',
          targets: [first, middle, last].map((id) => ({
            path: `/api/sms/${id}`,
            token: owner.token,
          })),
        },
      ],
    };
  },
};

const FAIR_SCENARIO: Scenario = {
  name: 'fair',
  prefix: 'fair: ',
  async build(client, owner) {
    const bulk = FAIR_USERS * 1_000;
    const singles = FAIR_USERS * FAIR_SINGLES_EACH;
    const users = await insertUsers(client, 'single_sender', FAIR_USERS);
    const ids = await insertFairBacklog(client, {
      owners: [
        { userId: owner.id, jobs: 1, perJob: bulk },
        ...users.map((u) => ({ userId: u.id, jobs: FAIR_SINGLES_EACH, perJob: 1 })),
      ],
      label: 'status-scale fair',
      chunkRows: CHUNK_ROWS,
      onProgress: progressPrinter(bulk + singles),
    });
    // Random single jobs, each read with its owner's token.
    const pick = () => {
      const k = Math.floor(Math.random() * users.length);
      const jobs = ids[k + 1];
      return { id: jobs[Math.floor(Math.random() * jobs.length)], token: users[k].token };
    };
    const random = Array.from({ length: REQUESTS }, pick);
    const probe = users[Math.floor(users.length / 2)];
    const probeJobs = ids[Math.floor(users.length / 2) + 1];
    return {
      what:
        `${thousands(singles)} single-SMS jobs of ${thousands(FAIR_USERS)} users (${FAIR_SINGLES_EACH} each) ` +
        `beside a bulk of ${thousands(bulk)} SMS of another user`,
      jobs: singles + 1,
      sms: singles + bulk,
      probe: {
        token: probe.token,
        userId: probe.id,
        jobs: FAIR_SINGLES_EACH,
        sms: FAIR_SINGLES_EACH,
        jobIds: probeJobs,
      },
      activeUsers: FAIR_USERS + 1,
      details: [
        ['bulk', ids[0][0], owner.token, null],
        ...random
          .slice(0, 3)
          .map((r, k): [string, number, string, null] => [
            `random single ${k + 1}`,
            r.id,
            r.token,
            null,
          ]),
      ],
      series: [
        {
          name: 'GET /api/queue/status (token of a user of single jobs)',
          targets: [{ path: '/api/queue/status', token: probe.token }],
        },
        {
          name: "GET /api/queue/status (token of the bulk's owner)",
          targets: [{ path: '/api/queue/status', token: owner.token }],
        },
        {
          name: 'GET /api/sms/:id (random single jobs, owner tokens)',
          targets: random.map((r) => ({ path: `/api/sms/${r.id}`, token: r.token })),
        },
      ],
    };
  },
};

async function checkBacklog(client: pg.Client, built: Built): Promise<string[]> {
  const { rows } = await client.query<{
    jobs: number;
    pending_jobs: number;
    mismatched: number;
    recipients: string;
    pending: string;
    bad_ordinals: number;
    untagged: number;
  }>(
    `SELECT count(*)::int AS jobs,
            count(*) FILTER (WHERE m.job_status = 'pending')::int AS pending_jobs,
            count(*) FILTER (WHERE m.recipient_count <> coalesce(r.n, 0))::int AS mismatched,
            coalesce(sum(r.n), 0) AS recipients, coalesce(sum(r.pending), 0) AS pending,
            count(*) FILTER (WHERE r.min_ord <> 1 OR r.max_ord <> r.n)::int AS bad_ordinals,
            count(*) FILTER (WHERE r.untagged > 0)::int AS untagged
     FROM messages m LEFT JOIN (
       SELECT message_id, count(*) AS n, count(*) FILTER (WHERE status = 'pending') AS pending,
              min(ordinal) AS min_ord, max(ordinal) AS max_ord,
              count(*) FILTER (WHERE vtag <= 0) AS untagged
       FROM recipients GROUP BY message_id
     ) r ON r.message_id = m.id`,
  );
  const r = rows[0];
  const problems: string[] = [];
  if (r.jobs !== built.jobs || r.pending_jobs !== built.jobs)
    problems.push(`${r.jobs} jobs (${r.pending_jobs} pending), expected ${built.jobs}`);
  if (Number(r.recipients) !== built.sms || Number(r.pending) !== built.sms)
    problems.push(`${r.recipients} recipients (${r.pending} pending), expected ${built.sms}`);
  if (r.mismatched) problems.push(`${r.mismatched} jobs whose recipient_count is wrong`);
  if (r.bad_ordinals) problems.push(`${r.bad_ordinals} jobs whose ordinals are not 1..n`);
  if (r.untagged) problems.push(`${r.untagged} jobs with recipients without a fair tag`);
  const lanes = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM user_lanes WHERE lane = 1 AND last_tag > 0`,
  );
  if (lanes.rows[0].n !== built.activeUsers)
    problems.push(`${lanes.rows[0].n} user_lanes rows, expected ${built.activeUsers}`);
  // The running totals per user and lane that triggers on messages keep (migration LaneLoads,
  // when present): they must agree with the jobs themselves.
  const hasLoads = await client.query<{ t: string | null }>(
    `SELECT to_regclass('lane_loads')::text AS t`,
  );
  if (hasLoads.rows[0].t) {
    const loads = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (
         SELECT user_id, lane, pending_jobs, pending_sms FROM lane_loads
         WHERE pending_jobs <> 0 OR pending_sms <> 0
         EXCEPT
         SELECT coalesce(user_id, 0), CASE WHEN adhoc THEN 0 ELSE 1 END, count(*)::int,
                sum(recipient_count)::bigint
         FROM messages WHERE job_status = 'pending' GROUP BY 1, 2) d`,
    );
    const rowsOf = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM lane_loads WHERE pending_jobs <> 0`,
    );
    if (loads.rows[0].n !== 0 || rowsOf.rows[0].n !== built.activeUsers)
      problems.push(
        `lane_loads disagree with the jobs (${loads.rows[0].n} rows differ, ` +
          `${rowsOf.rows[0].n} users counted, expected ${built.activeUsers})`,
      );
  }
  return problems;
}

async function runSeries(http: KeepAliveClient, s: Series, rss: RssSampler): Promise<SeriesResult> {
  const few = new Set(s.targets.map((t) => t.path)).size <= 3;
  const byPath = new Map<string, number[]>(few ? s.targets.map((t) => [t.path, []]) : []);
  const all: number[] = [];
  let non200 = 0;
  const started = nowMs();
  for (let k = 0; k < WARMUP && nowMs() - started < SERIES_MAX_MS / 10; k++) {
    const t = s.targets[k % s.targets.length];
    const r = await http.get(t.path, t.token);
    if (r.status !== 200) non200++;
  }
  const measuring = nowMs();
  for (let k = 0; k < REQUESTS; k++) {
    if (nowMs() - measuring > SERIES_MAX_MS) {
      console.log(`  ${s.name}: stopped after ${k} requests (BENCH_SCALE_SERIES_S)`);
      break;
    }
    const t = s.targets[k % s.targets.length];
    const r = await http.get(t.path, t.token);
    if (r.status !== 200) {
      non200++;
      if (non200 <= 3) console.log(`  ${t.path}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
    }
    all.push(r.ms);
    byPath.get(t.path)?.push(r.ms);
    if ((k + 1) % PROGRESS_EVERY === 0) {
      const sum = summarize(all);
      console.log(
        `  ${s.name}: ${k + 1}/${REQUESTS} after ${round((nowMs() - measuring) / 1000, 1)} s, ` +
          `median so far ${sum.median_ms} ms, max ${sum.max_ms} ms, app RSS ${rss.currentMb()} MB`,
      );
    }
  }
  return {
    name: s.name,
    baseline: s.baseline ?? false,
    summary: summarize(all),
    perPath:
      byPath.size > 1 ? [...byPath].map(([path, v]) => ({ path, summary: summarize(v) })) : [],
    non200,
  };
}

/** The statements behind the endpoints, captured from the app's own repositories. */
async function captureEndpointQueries(
  client: pg.Client,
  userId: number,
  jobIds: number[],
): Promise<CapturedQuery[]> {
  // The repositories use only DataSource.query, which the stand-in provides.
  type Ds = ConstructorParameters<typeof StatusRepository>[0];
  const asDs = (ds: QueryOnlyDataSource) => ds as unknown as Ds;
  // The app under this bench counts the rate in requests (the default SMS_RATE_UNIT).
  const config = { smsRateUnit: 'request' } as AppConfig;
  const out: CapturedQuery[] = [];
  out.push(
    ...(await captureQueries(client, 'status: counts (queue/status)', (ds) =>
      new StatusRepository(asDs(ds), config).counts(),
    )),
    ...(await captureQueries(client, 'estimates: userSummary (queue/status + token)', (ds) =>
      new EstimatesRepository(asDs(ds), config).userSummary(userId),
    )),
  );
  for (const [name, id] of [
    ['first', jobIds[0]],
    ['middle', jobIds[Math.floor(jobIds.length / 2)]],
    ['last', jobIds.at(-1)!],
  ] as const) {
    out.push(
      ...(await captureQueries(client, `messages: findById(${name}) (sms/:id)`, (ds) =>
        new MessagesRepository(asDs(ds), config).findById(id, userId),
      )),
      ...(await captureQueries(client, `estimates: queueOrder([${name}]) (sms/:id)`, (ds) =>
        new EstimatesRepository(asDs(ds), config).queueOrder([id]),
      )),
    );
  }
  return out;
}

function verdict(
  name: string,
  results: SeriesResult[],
  rssMaxMb: number | null,
  maxMedian: number,
  maxP99?: number,
): string[] {
  const missed: string[] = [];
  for (const r of results.filter((x) => !x.baseline)) {
    if (!(r.summary.median_ms < maxMedian))
      missed.push(
        `${name}: ${r.name} median ${r.summary.median_ms} ms is not below ${maxMedian} ms`,
      );
    if (maxP99 !== undefined && !(r.summary.p99_ms < maxP99))
      missed.push(`${name}: ${r.name} p99 ${r.summary.p99_ms} ms is not below ${maxP99} ms`);
  }
  if (rssMaxMb === null) missed.push(`${name}: app RSS could not be read from /proc`);
  else if (!(rssMaxMb < RSS_MAX_MB))
    missed.push(`${name}: app RSS peaked at ${rssMaxMb} MB, not below ${RSS_MAX_MB} MB`);
  return missed;
}

/** One scenario on its own database; its figures and failures go into `report`. */
async function runScenario(sc: Scenario, report: Report): Promise<Record<string, unknown>> {
  let http: KeepAliveClient | undefined;
  const failures: string[] = [];
  const fail = (line: string) => failures.push(`${sc.prefix}${line}`);
  return withBench(`scale${sc.name}`, undefined, async ({ db, gw, client, start }) => {
    const env = {
      DATABASE_URL: db.url,
      QUEUE_ROLE: 'api',
      SMS_PROVIDER: 'http',
      SMS_BASE_URL: gw.url,
    };

    // A first start migrates the database and creates the admin, who creates the owner.
    const setup = await start(env, { label: 'app (setup)' });
    const owner = await createUser(setup, 'bench_scale', 1, 'bench-scale-password');
    const setupExit = await setup.stop();
    if (setupExit !== 0) console.warn(`warning: the setup app exited with code ${setupExit}`);
    console.log(`user ${owner.username} (id ${owner.id}) created; app stopped for the build`);

    const buildStarted = nowMs();
    const built = await sc.build(client, owner);
    const buildMs = nowMs() - buildStarted;
    const problems = await checkBacklog(client, built);
    if (problems.length) throw new Error(`backlog is not as intended: ${problems.join('; ')}`);
    const analyzeStarted = nowMs();
    await client.query('ANALYZE');
    const analyzeMs = nowMs() - analyzeStarted;
    const size = await client.query<{ recipients: string; messages: string }>(
      `SELECT pg_size_pretty(pg_total_relation_size('recipients')) AS recipients,
              pg_size_pretty(pg_total_relation_size('messages')) AS messages`,
    );
    const vacuumsBefore = await autovacuumCount(client);
    console.log(
      `backlog (${built.what}) built in ${round(buildMs / 1000, 1)} s and checked (recipient counts, ` +
        `ordinals, fair tags, user_lanes, lane_loads); ANALYZE ${round(analyzeMs)} ms; recipients ` +
        `${size.rows[0].recipients}, messages ${size.rows[0].messages} (with indexes)`,
    );

    const app = await start(env, { label: 'app', readyTimeoutMs: 120_000 });
    const rss = new RssSampler(app.pid).start();
    console.log(`app started on the backlog (pid ${app.pid}), RSS ${rss.currentMb()} MB`);
    http = new KeepAliveClient(app.baseUrl);

    // What the endpoints answer on this backlog: the bench measures the intended work.
    const pub = JSON.parse((await http.get('/api/queue/status')).text) as Envelope<
      Record<string, unknown>
    >;
    const mine = JSON.parse(
      (await http.get('/api/queue/status', built.probe.token)).text,
    ) as Envelope<{
      user?: { pending_messages: number; pending_recipients: number };
    }>;
    console.log(`queue/status: ${JSON.stringify(pub.data)}`);
    console.log(`queue/status user section: ${JSON.stringify(mine.data.user)}`);
    if (
      pub.data.queue_depth !== built.sms ||
      pub.data.pending_messages !== built.jobs ||
      pub.data.active_users !== built.activeUsers
    )
      fail(`queue/status: unexpected counts ${JSON.stringify(pub.data)}`);
    if (
      mine.data.user?.pending_messages !== built.probe.jobs ||
      mine.data.user?.pending_recipients !== built.probe.sms
    )
      fail(`queue/status user section: unexpected ${JSON.stringify(mine.data.user)}`);
    for (const [name, id, token, position] of built.details) {
      const r = await http.get(`/api/sms/${id}`, token);
      const d = (
        JSON.parse(r.text) as Envelope<{
          queue_position: number | null;
          estimated_complete_at: string | null;
          pending_count: number;
        }>
      ).data;
      console.log(
        `sms/${id} (${name}): HTTP ${r.status}, queue_position ${d?.queue_position}, ` +
          `pending_count ${d?.pending_count}, estimated_complete_at ${d?.estimated_complete_at}`,
      );
      if (
        r.status !== 200 ||
        (position === null ? !d.queue_position : d.queue_position !== position) ||
        !d.estimated_complete_at
      )
        fail(`sms/${id} (${name}): expected queue_position ${position ?? '> 0'} and an estimate`);
    }

    const series: Series[] = [
      // What any request costs in this app (routing, middleware, envelope), no database.
      {
        name: 'GET /api/health/live (baseline)',
        targets: [{ path: '/api/health/live' }],
        baseline: true,
      },
      { name: 'GET /api/queue/status (public)', targets: [{ path: '/api/queue/status' }] },
      ...built.series,
    ];
    const results: SeriesResult[] = [];
    for (const s of series) {
      console.log(`${sc.prefix}${s.name}: ${WARMUP} warm-up, then ${REQUESTS} measured`);
      results.push(await runSeries(http, s, rss));
    }
    const mem = rss.stop();
    const vacuumsAfter = await autovacuumCount(client);

    console.log(
      `\n${'endpoint'.padEnd(60)}${'median'.padStart(10)}${'p95'.padStart(10)}${'p99'.padStart(10)}${'max'.padStart(10)}`,
    );
    for (const r of results) {
      const line = (label: string, s: LatencySummary) =>
        console.log(
          `${label.padEnd(60)}${fmt(s.median_ms)}${fmt(s.p95_ms)}${fmt(s.p99_ms)}${fmt(s.max_ms)}`,
        );
      line(`${r.name} n=${r.summary.n}`, r.summary);
      for (const p of r.perPath) line(`  ${p.path} n=${p.summary.n}`, p.summary);
      if (r.non200) fail(`${r.name}: ${r.non200} answers were not HTTP 200`);
    }
    console.log(
      `app RSS: max ${mem.maxMb} MB over ${mem.samples} samples (last ${mem.lastMb} MB; ` +
        `kernel peak VmHWM since start ${mem.hwmMb} MB); target < ${RSS_MAX_MB} MB`,
    );
    if (vacuumsAfter > vacuumsBefore)
      console.log(
        'note: autovacuum/autoanalyze ran on recipients or messages during the measurement',
      );

    // Nothing may have been sent, and the backlog must be intact.
    if (gw.requests.length) fail(`QUEUE_ROLE=api sent ${gw.requests.length} SMS`);
    const left = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM recipients WHERE status = 'pending'`,
    );
    if (Number(left.rows[0].n) !== built.sms)
      fail(`${left.rows[0].n} recipients still pending, expected ${built.sms}`);

    const statusMissed = verdict('Status', results, mem.maxMb, STATUS_MEDIAN_MS);
    const strictMissed = verdict(
      'Performance',
      results,
      mem.maxMb,
      STRICT_MEDIAN_MS,
      STRICT_P99_MS,
    );
    console.log(
      `\nverdict "Status" (median < ${STATUS_MEDIAN_MS} ms, RSS < ${RSS_MAX_MB} MB): ` +
        (statusMissed.length ? `MISSED\n- ${statusMissed.join('\n- ')}` : 'met') +
        (STRICT ? ' (information)' : ' (decides the exit code)'),
    );
    console.log(
      `verdict "Performance" (median < ${STRICT_MEDIAN_MS} ms, p99 < ${STRICT_P99_MS} ms, RSS < ${RSS_MAX_MB} MB): ` +
        (strictMissed.length ? `MISSED\n- ${strictMissed.join('\n- ')}` : 'met') +
        (STRICT
          ? ' (decides the exit code; BENCH_STRICT=0 for the looser "Status" verdict)'
          : ' (information: BENCH_STRICT=0)'),
    );

    // Where the time goes: the app's own statements on this backlog.
    const appExit = await app.stop();
    if (appExit !== 0) console.warn(`warning: the app exited with code ${appExit} after SIGTERM`);
    const queries = await captureEndpointQueries(client, built.probe.userId, built.probe.jobIds);
    const timings: QueryTiming[] = [];
    for (const q of queries) timings.push(await profileQuery(client, q));
    console.log(
      `\nSQL behind the endpoints on this backlog (plain round trip median/max of 20 runs; EXPLAIN ANALYZE):`,
    );
    for (const t of timings) {
      console.log(
        `  ${t.label.padEnd(52)} ${fmt(t.median_ms)} (max ${t.max_ms} ms); ` +
          `planning ${t.planning_ms} ms, execution ${t.execution_ms} ms, buffers hit ${t.shared_hit} read ${t.shared_read}`,
      );
    }
    const anyMissed = statusMissed.length > 0 || strictMissed.length > 0;
    if (anyMissed || EXPLAIN_ALWAYS) {
      const shown = new Set<string>();
      for (const [t, q] of timings.map((t, k) => [t, queries[k]] as const)) {
        // One plan per distinct statement text and shape (the three job ids plan alike).
        const key = `${q.label.replace(/\(.*?\)/, '')}|${q.sql}`;
        if (shown.has(key)) continue;
        shown.add(key);
        console.log(`\n--- ${t.label}: ${oneLine(q.sql)}\n    params ${JSON.stringify(q.params)}`);
        for (const line of t.plan) console.log(`    ${line}`);
      }
    }

    const decisive = STRICT ? strictMissed : statusMissed;
    const maxMedian = STRICT ? STRICT_MEDIAN_MS : STATUS_MEDIAN_MS;
    report.add(
      ...results.flatMap((r) => [
        {
          name: `${sc.prefix}${r.name} median (n=${r.summary.n})`,
          value: r.summary.median_ms,
          unit: 'ms',
          ...(r.baseline ? {} : { target: `< ${maxMedian}`, ok: r.summary.median_ms < maxMedian }),
        },
        {
          name: `${sc.prefix}${r.name} p99`,
          value: r.summary.p99_ms,
          unit: 'ms',
          ...(STRICT && !r.baseline
            ? { target: `< ${STRICT_P99_MS}`, ok: r.summary.p99_ms < STRICT_P99_MS }
            : {}),
        },
      ]),
      {
        name: `${sc.prefix}app RSS peak`,
        value: mem.maxMb ?? 'n/a',
        unit: 'MB',
        target: `< ${RSS_MAX_MB}`,
        ok: mem.maxMb !== null && mem.maxMb < RSS_MAX_MB,
      },
    );
    for (const line of [...failures, ...decisive.map((l) => `${sc.prefix}${l}`)]) report.fail(line);
    if (failures.length || decisive.length) app.dumpOutput('a check failed');
    http.close();
    return {
      jobs: built.jobs,
      sms: built.sms,
      build_s: round(buildMs / 1000, 1),
      analyze_ms: round(analyzeMs),
      requests: REQUESTS,
      warmup: WARMUP,
      endpoints: Object.fromEntries(
        results.map((r) => [
          r.name,
          {
            ...r.summary,
            ...(r.perPath.length
              ? { per_path: Object.fromEntries(r.perPath.map((p) => [p.path, p.summary])) }
              : {}),
          },
        ]),
      ),
      rss_max_mb: mem.maxMb,
      rss_hwm_mb: mem.hwmMb,
      autovacuum_during_bench: vacuumsAfter > vacuumsBefore,
      sql: timings.map((t) => ({
        label: t.label,
        median_ms: t.median_ms,
        execution_ms: t.execution_ms,
        planning_ms: t.planning_ms,
      })),
      status_targets_met: statusMissed.length === 0,
      performance_targets_met: strictMissed.length === 0,
      app_exit_code: appExit,
    };
  }).finally(() => http?.close());
}

async function main(): Promise<number> {
  const all: Record<string, Scenario> = { jobs: JOBS_SCENARIO, fair: FAIR_SCENARIO };
  for (const name of SCENARIOS)
    if (!all[name]) throw new Error(`BENCH_SCALE_SCENARIOS: unknown ${name} (jobs, fair)`);
  console.log(
    `status-scale: scenarios ${SCENARIOS.join(', ')}; ${WARMUP} warm-up + ${REQUESTS} sequential ` +
      `keep-alive requests per endpoint (QUEUE_ROLE=api); targets "Status": median < ${STATUS_MEDIAN_MS} ms; ` +
      `"Performance": median < ${STRICT_MEDIAN_MS} ms and p99 < ${STRICT_P99_MS} ms; app RSS < ${RSS_MAX_MB} MB; ` +
      `exit code from ${STRICT ? '"Performance"' : '"Status" (BENCH_STRICT=0)'}`,
  );
  const report = new Report('status-scale');
  const details: Record<string, unknown> = {};
  for (const name of SCENARIOS) {
    console.log(`\n=== scenario ${name}`);
    details[name] = await runScenario(all[name], report);
  }
  return report.finish({
    database: process.env.DATABASE_URL ? new URL(process.env.DATABASE_URL).host : 'embedded',
    strict: STRICT,
    scenarios: details,
  });
}

/** Autovacuum + autoanalyze runs so far on the two big tables. */
async function autovacuumCount(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    `SELECT coalesce(sum(autovacuum_count + autoanalyze_count), 0) AS n
     FROM pg_stat_user_tables WHERE relname IN ('recipients', 'messages')`,
  );
  return Number(rows[0].n);
}

runBench(main);
