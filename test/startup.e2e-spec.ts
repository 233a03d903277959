import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, TestDatabase } from './utils/test-database.js';

/** The built app, as `npm start` runs it (package.json's pretest builds it). */
const MAIN = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Run {
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** Milliseconds from spawn to exit, once exited. */
  lifetimeMs?: number;
}

const children = new Set<ChildProcess>();
let dataDir: string;

async function freePort(): Promise<number> {
  return new Promise((done) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => done(port));
    });
  });
}

/** Starts `node dist/src/main.js` with a clean environment plus `env`. */
function start(env: Record<string, string>): Run {
  const base = { ...process.env };
  // The test runner's and the developer's settings must not leak into the child.
  for (const key of Object.keys(base)) {
    if (/^(DATABASE_URL|ADMIN_|PORT$|SMS_|QUEUE_|SESSION_|NODE_OPTIONS$|LOG_LEVEL$)/.test(key)) {
      delete base[key];
    }
  }
  const proc = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { ...base, DATA_DIR: dataDir, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  let out = '';
  proc.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  proc.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const started = Date.now();
  const run: Run = { proc, output: () => out, exited: Promise.resolve(null) };
  run.exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      run.lifetimeMs = Date.now() - started;
      resolve(code);
    }),
  );
  return run;
}

/** Resolves when the output matches `pattern`; fails on exit or after `ms`. */
async function waitForOutput(run: Run, pattern: RegExp, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pattern.test(run.output())) {
    if (run.proc.exitCode !== null) {
      throw new Error(`exited with ${run.proc.exitCode} before ${pattern}:\n${run.output()}`);
    }
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${ms} ms:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The exit code, or a failure when the process is still running after `ms`. */
async function exitCodeWithin(run: Run, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([run.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const BAD_VALUES: [string, string][] = [
  ['PORT', 'abc'],
  ['SMS_RATE_PER_SEC', '-1'],
];

describe('Start-up of the built app (e2e)', () => {
  let db: TestDatabase | undefined;
  const refused = new Map<string, Run>();

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
    dataDir = mkdtempSync(join(tmpdir(), 'smspanel-startup-'));
    // The refused starts run side by side, while the database for the real start is made.
    for (const [name, value] of BAD_VALUES) refused.set(name, start({ [name]: value }));
    db = await createTestDatabase('startup');
  });

  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await db?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
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
      expect(run.output()).not.toMatch(/^\s+at /m);
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
    first.proc.kill('SIGTERM');
    expect(await exitCodeWithin(first, 10_000)).toBe(0);

    const second = start(env);
    await waitForOutput(second, /listening on/, 20_000);
    expect(second.output()).not.toMatch(/password: /);
    const live = await fetch(`http://127.0.0.1:${port}/api/health/live`);
    expect(live.status).toBe(200);
    second.proc.kill('SIGTERM');
    expect(await exitCodeWithin(second, 10_000)).toBe(0);
  }, 60_000);
});
