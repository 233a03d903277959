import pg from 'pg';
import { startApp, type AppProcess, type StartAppOptions } from '../../test/support/app-process.js';
import { benchDatabase, type BenchDatabase } from '../../test/support/bench-db.js';
import { FakeGateway, type FakeAnswer } from '../../test/support/fake-gateway.js';

export interface BenchKit {
  db: BenchDatabase;
  gw: FakeGateway;
  /** A connection of the bench's own to the database. */
  client: pg.Client;
  /** Starts an app; whatever happens, it is stopped at the end (its output shown on failure). */
  start(env: Record<string, string>, opts?: StartAppOptions): Promise<AppProcess>;
}

/**
 * BENCH_CPU_PROF_DIR=dir: every app a bench starts writes a V8 CPU profile there when it
 * stops (summarise one with `node dist/bench/lib/cpu-profile.js <file>`).
 * BENCH_NODE_ARGS='--trace-gc --log-deopt --logfile=/tmp/v8.log': more node flags for every
 * app (its output is shown when the bench fails; a log file is kept).
 */
function withBenchNodeArgs(opts: StartAppOptions = {}): StartAppOptions {
  const dir = process.env.BENCH_CPU_PROF_DIR;
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  if (dir) extra.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
  return extra.length ? { ...opts, nodeArgs: [...(opts.nodeArgs ?? []), ...extra] } : opts;
}

/**
 * The set-up of every bench: a throwaway database, a fake gateway (answering `answer` by
 * default) and a connection to the database, then `body`. Whatever `body` does, the apps it
 * started are stopped (their output shown when the bench failed), the gateway closed and the
 * database dropped. Resolves to what `body` does (an exit code, as a rule).
 */
export async function withBench<T = number>(
  label: string,
  answer: FakeAnswer | undefined,
  body: (kit: BenchKit) => Promise<T>,
): Promise<T> {
  let db: BenchDatabase | undefined;
  let gw: FakeGateway | undefined;
  let client: pg.Client | undefined;
  const apps: AppProcess[] = [];
  try {
    db = await benchDatabase(label);
    gw = await FakeGateway.start({ defaultAnswer: answer, lean: true });
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const start = async (env: Record<string, string>, opts?: StartAppOptions) => {
      const app = await startApp(env, withBenchNodeArgs(opts));
      apps.push(app);
      return app;
    };
    return await body({ db, gw, client, start });
  } catch (err) {
    for (const app of apps) app.dumpOutput('the bench failed');
    throw err;
  } finally {
    await client?.end().catch(() => undefined);
    // Newest first: workers before the API that ran the migrations.
    for (const app of apps.reverse()) await app.stop();
    await gw?.stop();
    await db?.drop();
  }
}

export interface SingleApp extends BenchKit {
  /** Started and logged in as the bench admin. */
  app: AppProcess;
  /** SIGTERM and wait for the exit code (warning when it is not 0). */
  stopApp(): Promise<number | null>;
}

/** withBench with one app, started with `env(db, gw)` and logged in. */
export async function withSingleApp(
  label: string,
  env: (db: BenchDatabase, gw: FakeGateway) => Record<string, string>,
  body: (kit: SingleApp) => Promise<number>,
): Promise<number> {
  return withBench(label, undefined, async (kit) => {
    const app = await kit.start(env(kit.db, kit.gw), { label: 'app' });
    await app.token();
    const stopApp = async () => {
      const code = await app.stop();
      if (code !== 0) console.warn(`warning: the app exited with code ${code} after SIGTERM`);
      return code;
    };
    return body({ ...kit, app, stopApp });
  });
}
