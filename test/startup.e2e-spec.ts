import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '../src/common/free-port.js';
import { type AppChild, exitCodeWithin, spawnApp } from './support/app-process.js';
import { createTestDatabase, TestDatabase } from './support/test-database.js';

interface Run extends AppChild {
  /** Milliseconds from spawn to exit, once exited. */
  lifetimeMs?: number;
}

const children: Run[] = [];

/** Starts `node dist/src/main.js` with a clean environment plus `env`, at LOG_LEVEL info. */
function start(env: Record<string, string>, exitExpected = false): Run {
  const run: Run = spawnApp({ LOG_LEVEL: 'info', ...env }, { label: 'startup', exitExpected });
  const started = Date.now();
  void run.exited.then(() => (run.lifetimeMs = Date.now() - started));
  children.push(run);
  return run;
}

/** Resolves when the output matches `pattern`; fails on exit or after `ms`. */
async function waitForOutput(run: Run, pattern: RegExp, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pattern.test(run.output())) {
    if (run.lifetimeMs !== undefined) {
      throw new Error(`exited with ${await run.exited} before ${pattern}:\n${run.output()}`);
    }
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${ms} ms:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A bad variable, its value, and what else is set (a value may be bad only next to others). */
const BAD_VALUES: [string, string, Record<string, string>][] = [
  ['PORT', 'abc', {}],
  ['SMS_RATE_PER_SEC', '-1', {}],
  // Counted in segments, the largest allowed message (10 segments) must fit in the burst.
  ['SMS_BURST_CAPACITY', '9', { SMS_RATE_UNIT: 'segment', SMS_MAX_SEGMENTS: '10' }],
];

describe('Start-up of the built app (e2e)', () => {
  let db: TestDatabase | undefined;
  const refused = new Map<string, Run>();

  beforeAll(async () => {
    // The refused starts run side by side, while the database for the real start is made.
    for (const [name, value, others] of BAD_VALUES) {
      refused.set(name, start({ ...others, [name]: value }, true));
    }
    db = await createTestDatabase('startup');
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await db?.drop();
  });

  it.each(BAD_VALUES)(
    'refuses to start with %s=%s: exit code 1 and one line naming it',
    async (name, value) => {
      const run = refused.get(name)!;
      expect(await exitCodeWithin(run, 10_000)).toBe(1);
      expect(run.lifetimeMs).toBeLessThan(10_000);
      const lines = run
        .output()
        .split('\n')
        .filter((l) => l.includes(name));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(value);
      // No stack trace: output() prefixes every line with its stream.
      expect(run.output()).not.toMatch(/^(out|err)\|\s+at /m);
    },
    15_000,
  );

  it('prints a generated admin password once, which logs in; a restart prints none', async () => {
    const port = await freePort();
    const env = { DATABASE_URL: db!.url, PORT: String(port) };

    const first = start(env);
    await waitForOutput(first, /listening on/, 20_000);
    const printed = [...first.output().matchAll(/with password: (\S+)/g)].map((m) => m[1]);
    expect(printed).toHaveLength(1);
    const res = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'SMSadmin', password: printed[0] }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: { token: string } }).data.token).toEqual(
      expect.any(String),
    );
    first.kill('SIGTERM');
    expect(await exitCodeWithin(first, 10_000)).toBe(0);

    const second = start(env);
    await waitForOutput(second, /listening on/, 20_000);
    expect(second.output()).not.toMatch(/password: /);
    const live = await fetch(`http://127.0.0.1:${port}/api/health/live`);
    expect(live.status).toBe(200);
    second.kill('SIGTERM');
    expect(await exitCodeWithin(second, 10_000)).toBe(0);
  }, 60_000);
});
