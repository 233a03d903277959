/**
 * Status endpoints on a large backlog: GET /api/queue/status and GET /api/sms/:id must stay
 * fast however many SMS are waiting (spec/API.md "Queue and rate limit", spec/QUEUE.md "Job
 * status and estimates").
 *
 * A backlog of 1 000 000 SMS waiting in 1 000 pending jobs of one user is written straight
 * into the database with set-based SQL (generate_series), keeping the schema's invariants
 * (recipient_count = the job's recipients, ordinals 1..n, counts zero), then ANALYZE. The
 * real app (dist/src/main.js) is then started with QUEUE_ROLE=api, so nothing is sent (checked:
 * the fake gateway must receive nothing), and measured over one keep-alive HTTP connection,
 * requests one after the other, 50 warm-up requests then 500 measured per endpoint:
 * - GET /api/queue/status without a token (public),
 * - GET /api/queue/status with the backlog owner's token (adds the `user` section),
 * - GET /api/sms/:id of the first, middle and last job in turn.
 * GET /api/health/live is measured first the same way, as a baseline (not a target): what any
 * request costs in this app without the database.
 * The app's RSS (VmRSS of /proc/<pid>/status) is sampled every 100 ms meanwhile.
 *
 * Targets: issue "Status": median < 50 ms for every endpoint; issue "Performance" (stricter):
 * median < 10 ms and p99 < 50 ms; both: app RSS < 300 MB. The "Performance" verdict decides the
 * exit code; with BENCH_STRICT=0 the looser "Status" verdict does. Afterwards the SQL behind the
 * endpoints (the app's own repositories, run on this backlog) is timed and its EXPLAIN
 * (ANALYZE, BUFFERS) summarised; full plans are printed when a target of either verdict is
 * missed, or always with BENCH_EXPLAIN=1.
 *
 * Run: npm run bench:scale   (DATABASE_URL=postgres://... to use a server instead of embedded)
 * BENCH_SCALE_JOBS=n builds n jobs of 1 000 instead of 1 000 (quick checks only).
 */
import pg from 'pg';
import { MessagesRepository } from '../src/messages/messages.repository.js';
import { EstimatesRepository } from '../src/status/estimates.repository.js';
import { StatusRepository } from '../src/status/status.repository.js';
import { startApp, type AppProcess } from './lib/app-process.js';
import { insertBacklog } from './lib/backlog.js';
import { benchDatabase, type BenchDatabase } from './lib/bench-db.js';
import { runBench } from './lib/cleanup.js';
import { FakeGateway } from './lib/fake-gateway.js';
import { KeepAliveClient, summarize, type LatencySummary } from './lib/http-timing.js';
import {
  captureQueries,
  oneLine,
  profileQuery,
  type CapturedQuery,
  type QueryOnlyDataSource,
  type QueryTiming,
} from './lib/query-profile.js';
import { RssSampler } from './lib/rss-sampler.js';
import { nowMs, round } from './lib/util.js';

const JOBS = Number(process.env.BENCH_SCALE_JOBS ?? 1_000);
const PER_JOB = 1_000;
const TOTAL = JOBS * PER_JOB;
/** Jobs per recipients INSERT: 50 000 rows a statement, a progress line each. */
const CHUNK_JOBS = 50;
const WARMUP = 50;
const REQUESTS = 500;
const PROGRESS_EVERY = 100;

const STATUS_MEDIAN_MS = 50;
const STRICT_MEDIAN_MS = 10;
const STRICT_P99_MS = 50;
const RSS_MAX_MB = 300;
const STRICT = process.env.BENCH_STRICT !== '0';
const EXPLAIN_ALWAYS = process.env.BENCH_EXPLAIN === '1';

const BENCH_USER = { username: 'bench_scale', password: 'bench-scale-password' };

type Envelope<T> = { success: boolean; data: T };

interface Series {
  name: string;
  paths: string[];
  token?: string;
  /** Measured for comparison only, not against the targets. */
  baseline?: boolean;
}

interface SeriesResult {
  name: string;
  baseline: boolean;
  summary: LatencySummary;
  /** Per path when the series cycles over several (the job ids). */
  perPath: { path: string; summary: LatencySummary }[];
  non200: number;
}

const fmt = (ms: number) => `${ms.toFixed(2)} ms`.padStart(10);
const thousands = (n: number) => n.toLocaleString('en-US').replace(/,/g, ' ');

async function createUser(app: AppProcess): Promise<{ id: number; token: string }> {
  const res = await app.api<Envelope<{ user: { id: number }; token: string }>>(
    'POST',
    '/api/admin/users',
    BENCH_USER,
  );
  if (res.status !== 201) {
    throw new Error(`POST /api/admin/users: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  }
  return { id: res.body.data.user.id, token: res.body.data.token };
}

/** The backlog: JOBS pending jobs of PER_JOB pending recipients each, oldest first. */
async function buildBacklog(client: pg.Client, userId: number): Promise<number[]> {
  const started = nowMs();
  const ids = await insertBacklog(client, {
    userId,
    jobs: JOBS,
    perJob: PER_JOB,
    label: 'status-scale',
    chunkJobs: CHUNK_JOBS,
    onProgress: (done) => {
      const s = (nowMs() - started) / 1000;
      console.log(
        `backlog: ${thousands(done)}/${thousands(TOTAL)} SMS (${Math.round((done / TOTAL) * 100)} %) ` +
          `after ${round(s, 1)} s, ${thousands(Math.round(done / s))} rows/s`,
      );
    },
  });
  return ids;
}

async function checkBacklog(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{
    jobs: number;
    pending_jobs: number;
    mismatched: number;
    recipients: string;
    pending: string;
    bad_ordinals: number;
  }>(
    `SELECT count(*)::int AS jobs,
            count(*) FILTER (WHERE m.job_status = 'pending')::int AS pending_jobs,
            count(*) FILTER (WHERE m.recipient_count <> coalesce(r.n, 0))::int AS mismatched,
            coalesce(sum(r.n), 0) AS recipients, coalesce(sum(r.pending), 0) AS pending,
            count(*) FILTER (WHERE r.min_ord <> 1 OR r.max_ord <> r.n)::int AS bad_ordinals
     FROM messages m LEFT JOIN (
       SELECT message_id, count(*) AS n, count(*) FILTER (WHERE status = 'pending') AS pending,
              min(ordinal) AS min_ord, max(ordinal) AS max_ord
       FROM recipients GROUP BY message_id
     ) r ON r.message_id = m.id`,
  );
  const r = rows[0];
  const problems: string[] = [];
  if (r.jobs !== JOBS || r.pending_jobs !== JOBS)
    problems.push(`${r.jobs} jobs (${r.pending_jobs} pending), expected ${JOBS}`);
  if (Number(r.recipients) !== TOTAL || Number(r.pending) !== TOTAL)
    problems.push(`${r.recipients} recipients (${r.pending} pending), expected ${TOTAL}`);
  if (r.mismatched) problems.push(`${r.mismatched} jobs whose recipient_count is wrong`);
  if (r.bad_ordinals) problems.push(`${r.bad_ordinals} jobs whose ordinals are not 1..n`);
  return problems;
}

async function runSeries(http: KeepAliveClient, s: Series, rss: RssSampler): Promise<SeriesResult> {
  const byPath = new Map<string, number[]>(s.paths.map((p) => [p, []]));
  const all: number[] = [];
  let non200 = 0;
  for (let k = 0; k < WARMUP; k++) {
    const r = await http.get(s.paths[k % s.paths.length], s.token);
    if (r.status !== 200) non200++;
  }
  const started = nowMs();
  for (let k = 0; k < REQUESTS; k++) {
    const path = s.paths[k % s.paths.length];
    const r = await http.get(path, s.token);
    if (r.status !== 200) {
      non200++;
      if (non200 <= 3) console.log(`  ${path}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
    }
    all.push(r.ms);
    byPath.get(path)!.push(r.ms);
    if ((k + 1) % PROGRESS_EVERY === 0) {
      const sum = summarize(all);
      console.log(
        `  ${s.name}: ${k + 1}/${REQUESTS} after ${round((nowMs() - started) / 1000, 1)} s, ` +
          `median so far ${sum.median_ms} ms, max ${sum.max_ms} ms, app RSS ${rss.currentMb()} MB`,
      );
    }
  }
  return {
    name: s.name,
    baseline: s.baseline ?? false,
    summary: summarize(all),
    perPath:
      s.paths.length > 1 ? [...byPath].map(([path, v]) => ({ path, summary: summarize(v) })) : [],
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
  const out: CapturedQuery[] = [];
  out.push(
    ...(await captureQueries(client, 'status: counts (queue/status)', (ds) =>
      new StatusRepository(asDs(ds)).counts(),
    )),
    ...(await captureQueries(client, 'estimates: userSummary (queue/status + token)', (ds) =>
      new EstimatesRepository(asDs(ds)).userSummary(userId),
    )),
  );
  for (const [name, id] of [
    ['first', jobIds[0]],
    ['middle', jobIds[Math.floor(jobIds.length / 2)]],
    ['last', jobIds.at(-1)!],
  ] as const) {
    out.push(
      ...(await captureQueries(client, `messages: findById(${name}) (sms/:id)`, (ds) =>
        new MessagesRepository(asDs(ds)).findById(id, userId),
      )),
      ...(await captureQueries(client, `estimates: queueOrder([${name}]) (sms/:id)`, (ds) =>
        new EstimatesRepository(asDs(ds)).queueOrder([id]),
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

async function main(): Promise<number> {
  console.log(
    `status-scale: ${thousands(TOTAL)} SMS waiting in ${thousands(JOBS)} pending jobs of one user; ` +
      `${WARMUP} warm-up + ${REQUESTS} sequential keep-alive requests per endpoint (QUEUE_ROLE=api); ` +
      `targets "Status": median < ${STATUS_MEDIAN_MS} ms; "Performance": median < ${STRICT_MEDIAN_MS} ms ` +
      `and p99 < ${STRICT_P99_MS} ms; app RSS < ${RSS_MAX_MB} MB; exit code from ` +
      `${STRICT ? '"Performance"' : '"Status" (BENCH_STRICT=0)'}`,
  );
  let db: BenchDatabase | undefined;
  let gw: FakeGateway | undefined;
  let app: AppProcess | undefined;
  let client: pg.Client | undefined;
  let http: KeepAliveClient | undefined;
  let appExit: number | null | undefined;
  try {
    db = await benchDatabase('scale');
    gw = await FakeGateway.start();
    const env = {
      DATABASE_URL: db.url,
      QUEUE_ROLE: 'api',
      SMS_PROVIDER: 'http',
      SMS_BASE_URL: gw.url,
    };

    // A first start migrates the database and creates the admin, who creates the user.
    const setup = await startApp(env, { label: 'app (setup)' });
    const user = await createUser(setup);
    const setupExit = await setup.stop();
    if (setupExit !== 0) console.warn(`warning: the setup app exited with code ${setupExit}`);
    console.log(`user ${BENCH_USER.username} (id ${user.id}) created; app stopped for the build`);

    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const buildStarted = nowMs();
    const jobIds = await buildBacklog(client, user.id);
    const buildMs = nowMs() - buildStarted;
    const problems = await checkBacklog(client);
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
      `backlog built in ${round(buildMs / 1000, 1)} s and checked (recipient counts, ordinals); ` +
        `ANALYZE ${round(analyzeMs)} ms; recipients ${size.rows[0].recipients}, messages ${size.rows[0].messages} (with indexes)`,
    );

    app = await startApp(env, { label: 'app', readyTimeoutMs: 120_000 });
    const rss = new RssSampler(app.pid).start();
    console.log(`app started on the backlog (pid ${app.pid}), RSS ${rss.currentMb()} MB`);
    http = new KeepAliveClient(app.baseUrl);

    const first = jobIds[0];
    const middle = jobIds[Math.floor(jobIds.length / 2)];
    const last = jobIds.at(-1)!;
    const failures: string[] = [];

    // What the endpoints answer on this backlog: the bench measures the intended work.
    const pub = JSON.parse((await http.get('/api/queue/status')).text) as Envelope<
      Record<string, unknown>
    >;
    const mine = JSON.parse((await http.get('/api/queue/status', user.token)).text) as Envelope<{
      user?: { pending_messages: number; pending_recipients: number };
    }>;
    console.log(`queue/status: ${JSON.stringify(pub.data)}`);
    console.log(`queue/status user section: ${JSON.stringify(mine.data.user)}`);
    if (pub.data.queue_depth !== TOTAL || pub.data.pending_messages !== JOBS)
      failures.push(`queue/status: unexpected counts ${JSON.stringify(pub.data)}`);
    if (mine.data.user?.pending_messages !== JOBS || mine.data.user?.pending_recipients !== TOTAL)
      failures.push(`queue/status user section: unexpected ${JSON.stringify(mine.data.user)}`);
    for (const [name, id, position] of [
      ['first', first, 1],
      ['middle', middle, Math.floor(jobIds.length / 2) + 1],
      ['last', last, JOBS],
    ] as const) {
      const r = await http.get(`/api/sms/${id}`, user.token);
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
      if (r.status !== 200 || d.queue_position !== position || !d.estimated_complete_at)
        failures.push(`sms/${id} (${name}): expected queue_position ${position} and an estimate`);
    }

    const series: Series[] = [
      // What any request costs in this app (routing, middleware, envelope), no database.
      { name: 'GET /api/health/live (baseline)', paths: ['/api/health/live'], baseline: true },
      { name: 'GET /api/queue/status (public)', paths: ['/api/queue/status'] },
      { name: 'GET /api/queue/status (token)', paths: ['/api/queue/status'], token: user.token },
      {
        name: 'GET /api/sms/:id (first/middle/last)',
        paths: [first, middle, last].map((id) => `/api/sms/${id}`),
        token: user.token,
      },
    ];
    const results: SeriesResult[] = [];
    for (const s of series) {
      console.log(`${s.name}: ${WARMUP} warm-up, then ${REQUESTS} measured`);
      results.push(await runSeries(http, s, rss));
    }
    const mem = rss.stop();
    const vacuumsAfter = await autovacuumCount(client);

    console.log(
      `\n${'endpoint'.padEnd(44)}${'median'.padStart(10)}${'p95'.padStart(10)}${'p99'.padStart(10)}${'max'.padStart(10)}`,
    );
    for (const r of results) {
      const line = (label: string, s: LatencySummary) =>
        console.log(
          `${label.padEnd(44)}${fmt(s.median_ms)}${fmt(s.p95_ms)}${fmt(s.p99_ms)}${fmt(s.max_ms)}`,
        );
      line(`${r.name} n=${r.summary.n}`, r.summary);
      for (const p of r.perPath) line(`  ${p.path} n=${p.summary.n}`, p.summary);
      if (r.non200) failures.push(`${r.name}: ${r.non200} answers were not HTTP 200`);
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
    if (gw.requests.length) failures.push(`QUEUE_ROLE=api sent ${gw.requests.length} SMS`);
    const left = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM recipients WHERE status = 'pending'`,
    );
    if (Number(left.rows[0].n) !== TOTAL)
      failures.push(`${left.rows[0].n} recipients still pending, expected ${TOTAL}`);

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
    await app.stop().then((code) => (appExit = code));
    if (appExit !== 0) console.warn(`warning: the app exited with code ${appExit} after SIGTERM`);
    const queries = await captureEndpointQueries(client, user.id, jobIds);
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
    const allFailures = [...failures, ...decisive];
    console.log(allFailures.length ? `\nFAILED:\n- ${allFailures.join('\n- ')}` : '\nPASS');
    console.log(
      JSON.stringify({
        bench: 'status-scale',
        database: db.server,
        jobs: JOBS,
        sms: TOTAL,
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
        strict: STRICT,
        app_exit_code: appExit,
        ok: allFailures.length === 0,
        failures: allFailures,
        figures: [
          ...results.flatMap((r) => [
            {
              name: `${r.name} median`,
              value: r.summary.median_ms,
              unit: 'ms',
              ...(r.baseline
                ? {}
                : {
                    target: `< ${STRICT ? STRICT_MEDIAN_MS : STATUS_MEDIAN_MS}`,
                    ok: r.summary.median_ms < (STRICT ? STRICT_MEDIAN_MS : STATUS_MEDIAN_MS),
                  }),
            },
            {
              name: `${r.name} p99`,
              value: r.summary.p99_ms,
              unit: 'ms',
              ...(STRICT && !r.baseline
                ? { target: `< ${STRICT_P99_MS}`, ok: r.summary.p99_ms < STRICT_P99_MS }
                : {}),
            },
          ]),
          {
            name: 'app RSS peak',
            value: mem.maxMb ?? 'n/a',
            unit: 'MB',
            target: `< ${RSS_MAX_MB}`,
            ok: mem.maxMb !== null && mem.maxMb < RSS_MAX_MB,
          },
        ],
      }),
    );
    return allFailures.length ? 1 : 0;
  } catch (err) {
    app?.dumpOutput('the bench failed');
    throw err;
  } finally {
    http?.close();
    if (app && appExit === undefined) await app.stop();
    await client?.end().catch(() => undefined);
    await gw?.stop();
    await db?.drop();
  }
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
