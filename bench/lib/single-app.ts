import { startApp, type AppProcess } from './app-process.js';
import { benchDatabase, type BenchDatabase } from './bench-db.js';
import { FakeGateway } from './fake-gateway.js';

export interface SingleApp {
  db: BenchDatabase;
  gw: FakeGateway;
  /** Started and logged in as the bench admin. */
  app: AppProcess;
  /** SIGTERM and wait for the exit code (warning when it is not 0); cleanup then leaves it. */
  stopApp(): Promise<number | null>;
}

/**
 * The set-up of the benches that drive one app: a throwaway database, a fake gateway, and the
 * app started with `env(db, gw)`. Whatever `body` does, the app is stopped (its output shown
 * when the bench failed), the gateway closed and the database dropped.
 */
export async function withSingleApp(
  label: string,
  env: (db: BenchDatabase, gw: FakeGateway) => Record<string, string>,
  body: (kit: SingleApp) => Promise<number>,
): Promise<number> {
  let db: BenchDatabase | undefined;
  let gw: FakeGateway | undefined;
  let app: AppProcess | undefined;
  let stopped = false;
  try {
    db = await benchDatabase(label);
    gw = await FakeGateway.start();
    const started = await startApp(env(db, gw), { label: 'app' });
    app = started;
    await started.token();
    const stopApp = async () => {
      stopped = true;
      const code = await started.stop();
      if (code !== 0) console.warn(`warning: the app exited with code ${code} after SIGTERM`);
      return code;
    };
    return await body({ db, gw, app: started, stopApp });
  } catch (err) {
    app?.dumpOutput('the bench failed');
    throw err;
  } finally {
    if (app && !stopped) await app.stop();
    await gw?.stop();
    await db?.drop();
  }
}

/** Prints PASS or the failures, then the summary line `npm run bench` reads; the exit code. */
export function verdict(failures: string[], summary: object, onFailure?: () => void): number {
  console.log(failures.length ? `\nFAILED:\n- ${failures.join('\n- ')}` : '\nPASS');
  if (failures.length) onFailure?.();
  console.log(JSON.stringify(summary));
  return failures.length ? 1 : 0;
}
