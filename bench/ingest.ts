/**
 * Bulk ingest throughput (issue "Performance"): POST /api/sms/send-bulk with 10 000 and
 * 100 000 distinct valid numbers over real HTTP to the real app (dist/src/main.js,
 * QUEUE_ROLE=api, so nothing is sent: checked on a fake gateway), against a raw baseline in
 * the same run on the same database: a message row and `INSERT … SELECT FROM unnest($::text[])
 * WITH ORDINALITY` of the same number of phones into `recipients`, in one transaction, timed
 * from BEGIN to COMMIT (array serialisation by pg included, as in the app).
 *
 * Runs: 1 warm-up of 1 000 and one of 10 000, then RUNS_10K × 10 000 (median), then
 * RUNS_100K × (100 000 over HTTP, 100 000 raw) interleaved (medians).
 * Targets: 10 000 answered in < 300 ms (median); 100 000 over HTTP at ≥ 50 % of the raw rate;
 * every recipient of every 202 stored (the 202 promises they are committed).
 *
 * Then (BENCH_PROFILE=0 skips it) a second app on the same database with `--cpu-prof` takes
 * 2 × 10 000 and 1 × 100 000 more; the profile of those requests is summarised (self time by
 * module, top functions, inclusive time of the app's functions). These runs never count
 * towards the targets (the profiler slows the app down).
 *
 * Run: npm run bench:ingest   (DATABASE_URL=postgres://... to use a server instead)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import type { AppProcess, StartAppOptions } from '../test/support/app-process.js';
import { runBench } from '../test/support/cleanup.js';
import { submitBulk } from './lib/api.js';
import {
  latestProfile,
  monotonicUs,
  profileReport,
  summarizeProfile,
  type ProfileSummary,
} from './lib/cpu-profile.js';
import { Report } from './lib/report.js';
import { withBench } from './lib/setup.js';
import { hkNumbers, median, nowMs, round } from './lib/util.js';

const RUNS_10K = Number(process.env.BENCH_INGEST_RUNS_10K ?? 7);
const RUNS_100K = Number(process.env.BENCH_INGEST_RUNS_100K ?? 3);
const TARGET_10K_MS = 300;
const TARGET_RATIO = 0.5;
const PROFILE = process.env.BENCH_PROFILE !== '0';

/** Every request gets numbers no other request used: a running offset into +8529xxxxxxx. */
let nextNumber = 0;
function freshNumbers(n: number): string[] {
  const phones = hkNumbers(nextNumber, n);
  nextNumber += n;
  return phones;
}

const postBulk = (app: AppProcess, size: number, what: string) =>
  submitBulk(app, freshNumbers(size), `smspanel ingest bench: ${what}`);

/** The same rows as the app writes, straight into the database: the ceiling for the app. */
async function rawInsert(client: pg.Client, userId: number, size: number): Promise<number> {
  const phones = freshNumbers(size);
  const started = nowMs();
  await client.query('BEGIN');
  try {
    const { rows } = await client.query<{ id: number }>(
      `INSERT INTO messages (user_id, content, encoding, segments, adhoc, recipient_count, duplicates_removed)
       VALUES ($1, 'smspanel ingest bench: raw insert', 'gsm7', 1, false, $2, 0) RETURNING id`,
      [userId, size],
    );
    await client.query(
      `INSERT INTO recipients (message_id, ordinal, phone, priority)
       SELECT $1, t.ord, t.phone, 1 FROM unnest($2::text[]) WITH ORDINALITY AS t(phone, ord)`,
      [rows[0].id, phones],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
  return nowMs() - started;
}

async function profilePass(
  start: (env: Record<string, string>, opts: StartAppOptions) => Promise<AppProcess>,
  env: Record<string, string>,
): Promise<ProfileSummary | null> {
  const dir = mkdtempSync(join(tmpdir(), 'smspanel-bench-prof-'));
  let app: AppProcess | undefined;
  try {
    app = await start(env, {
      label: 'app (cpu-prof)',
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    });
    await app.token();
    await postBulk(app, 1_000, 'profile warm-up');
    const fromUs = monotonicUs();
    for (const size of [10_000, 10_000, 100_000]) {
      const r = await postBulk(app, size, `profiled ${size}`);
      console.log(`profile pass: ${size} recipients → 202 in ${round(r.ms, 1)} ms (profiler on)`);
    }
    const toUs = monotonicUs();
    await app.stop();
    app = undefined;
    const file = latestProfile(dir);
    if (!file) {
      console.log('profile pass: no .cpuprofile written');
      return null;
    }
    const s = summarizeProfile(file, { fromUs, toUs });
    for (const line of profileReport(s)) console.log(line);
    return s;
  } finally {
    if (app) await app.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  console.log(
    `ingest: POST /api/sms/send-bulk (QUEUE_ROLE=api), ${RUNS_10K} × 10 000 (target median < ` +
      `${TARGET_10K_MS} ms) and ${RUNS_100K} × 100 000 against a raw unnest insert of the same rows ` +
      `(target ≥ ${TARGET_RATIO * 100} % of its rate)`,
  );
  return withBench('ingest', undefined, async ({ db, gw, client, start }) => {
    const env = {
      DATABASE_URL: db.url,
      QUEUE_ROLE: 'api',
      SMS_PROVIDER: 'http',
      SMS_BASE_URL: gw.url,
    };
    const app = await start(env, { label: 'app' });
    await app.token();
    const userId = (
      await client.query<{ id: number }>(`SELECT id FROM users WHERE username = 'SMSadmin'`)
    ).rows[0].id;

    for (const size of [1_000, 10_000]) {
      const r = await postBulk(app, size, `warm-up ${size}`);
      console.log(`warm-up: ${size} recipients → 202 in ${round(r.ms, 1)} ms`);
    }
    await rawInsert(client, userId, 10_000);

    const times10k: number[] = [];
    const raw10k: number[] = [];
    for (let run = 1; run <= RUNS_10K; run++) {
      const r = await postBulk(app, 10_000, `10k run ${run}`);
      times10k.push(r.ms);
      const rawMs = await rawInsert(client, userId, 10_000);
      raw10k.push(rawMs);
      console.log(
        `10k run ${run}/${RUNS_10K}: 10 000 recipients (${r.kb} KiB) → 202 in ${round(r.ms, 1)} ms; ` +
          `raw insert ${round(rawMs, 1)} ms`,
      );
    }

    const http100k: number[] = [];
    const raw100k: number[] = [];
    for (let run = 1; run <= RUNS_100K; run++) {
      const r = await postBulk(app, 100_000, `100k run ${run}`);
      http100k.push(r.ms);
      const rawMs = await rawInsert(client, userId, 100_000);
      raw100k.push(rawMs);
      console.log(
        `100k run ${run}/${RUNS_100K}: HTTP ${round(r.ms, 1)} ms (${Math.round(100_000 / (r.ms / 1000))}/s, ` +
          `${r.kb} KiB); raw insert ${round(rawMs, 1)} ms (${Math.round(100_000 / (rawMs / 1000))}/s)`,
      );
    }

    const med10k = median(times10k);
    const httpRate = 100_000 / (median(http100k) / 1000);
    const rawRate = 100_000 / (median(raw100k) / 1000);
    const ratio = httpRate / rawRate;
    const expected = nextNumber;
    const stored = Number(
      (await client.query<{ n: string }>('SELECT count(*) AS n FROM recipients')).rows[0].n,
    );

    let profile: ProfileSummary | null = null;
    if (PROFILE) {
      const before = nextNumber;
      profile = await profilePass(start, env);
      const after = Number(
        (await client.query<{ n: string }>('SELECT count(*) AS n FROM recipients')).rows[0].n,
      );
      if (after !== stored + (nextNumber - before)) {
        throw new Error(
          `profile pass: ${after - stored} recipients stored, expected ${nextNumber - before}`,
        );
      }
    }

    const report = new Report('ingest');
    const ok10k = med10k < TARGET_10K_MS;
    const okRatio = ratio >= TARGET_RATIO;
    if (!ok10k) report.fail(`10 000: median ${round(med10k, 1)} ms, target < ${TARGET_10K_MS} ms`);
    if (!okRatio) {
      report.fail(
        `100 000: ${Math.round(httpRate)}/s is ${round(ratio * 100, 1)} % of the raw ` +
          `${Math.round(rawRate)}/s, target ≥ ${TARGET_RATIO * 100} %`,
      );
    }
    if (stored !== expected) report.fail(`${stored} recipients stored, expected ${expected}`);
    if (gw.requests.length) report.fail(`QUEUE_ROLE=api sent ${gw.requests.length} SMS`);

    const appExit = await app.stop();
    console.log(
      `\n10 000: median ${round(med10k, 1)} ms (min ${round(Math.min(...times10k), 1)}, max ` +
        `${round(Math.max(...times10k), 1)}), target < ${TARGET_10K_MS} ms; raw insert of 10 000: ` +
        `median ${round(median(raw10k), 1)} ms\n` +
        `100 000: HTTP ${Math.round(httpRate)} recipients/s vs raw insert ${Math.round(rawRate)} rows/s ` +
        `= ${round(ratio * 100, 1)} % (target ≥ ${TARGET_RATIO * 100} %); ${stored}/${expected} stored`,
    );
    const top = (xs: { name: string; pct: number }[] | undefined, n: number) =>
      (xs ?? []).slice(0, n).map((x) => `${x.name} ${x.pct} %`);
    report.add(
      {
        name: '10 000 recipients, median',
        value: round(med10k, 1),
        unit: 'ms',
        target: `< ${TARGET_10K_MS}`,
        ok: ok10k,
      },
      { name: 'raw unnest insert of 10 000, median', value: round(median(raw10k), 1), unit: 'ms' },
      {
        name: '10 000 recipients, rate',
        value: Math.round(10_000 / (med10k / 1000)),
        unit: 'rcpt/s',
      },
      { name: '100 000 recipients over HTTP', value: Math.round(httpRate), unit: 'rcpt/s' },
      { name: 'raw unnest insert of 100 000', value: Math.round(rawRate), unit: 'rows/s' },
      {
        name: 'HTTP / raw insert',
        value: round(ratio * 100, 1),
        unit: '%',
        target: `≥ ${TARGET_RATIO * 100}`,
        ok: okRatio,
      },
    );
    return report.finish(
      {
        database: db.server,
        runs_10k_ms: times10k.map((t) => round(t, 1)),
        runs_10k_raw_ms: raw10k.map((t) => round(t, 1)),
        runs_100k_http_ms: http100k.map((t) => round(t, 1)),
        runs_100k_raw_ms: raw100k.map((t) => round(t, 1)),
        stored,
        app_exit_code: appExit,
        profile: profile && {
          busy_ms: profile.busyMs,
          idle_ms: profile.idleMs,
          by_module: top(profile.byModule, 8),
          top_functions: top(profile.topFunctions, 8),
          app_inclusive: top(profile.appInclusive, 8),
        },
      },
      () => app.dumpOutput('a check failed'),
    );
  });
}

runBench(main);
