import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/common/free-port.js';
import { bearer, createUser, expectPasswordChanged, login } from './fixtures/users.js';
import { createTestApp, TestApp } from './support/test-app.js';

/** The built CLI, as `npm run admin` runs it (package.json's pretest builds it). */
const CLI = fileURLToPath(new URL('../dist/src/cli/admin.js', import.meta.url));
const MAIN = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node <script> ...args` with `env` and nothing else inherited (no DATABASE_URL). */
function node(script: string, env: Record<string, string>, args: string[] = []) {
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  const proc = spawn(process.execPath, [script, ...args], { cwd: ROOT, env: { ...base, ...env } });
  const run = { code: null as number | null, stdout: '', stderr: '' };
  proc.stdout.on('data', (c: Buffer) => (run.stdout += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (run.stderr += c.toString()));
  const exited = new Promise<CliRun>((done) => proc.once('exit', (code) => done({ ...run, code })));
  return { proc, run, exited };
}

const admin = (databaseUrl: string, ...args: string[]) =>
  node(CLI, { DATABASE_URL: databaseUrl }, args).exited;

/** The password the CLI printed: its only secret, on one line of stdout. */
function printedPassword(run: CliRun, stderr = ''): string {
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr });
  const match = /password: (\S+) {2}\(shown only this once/.exec(run.stdout);
  expect(match).not.toBeNull();
  return match![1];
}

describe('npm run admin (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({}, 'admincli');
  });
  afterAll(() => t.close());

  it('reset-password prints a new password that logs in; old password and sessions end', async () => {
    const u = await createUser(t);
    const run = await admin(t.db.url, 'reset-password', u.username.toUpperCase());
    expect(run.stdout).toContain(`Reset "${u.username}", new password: `);
    const password = printedPassword(run);
    expect(password.length).toBeGreaterThanOrEqual(16);
    await expectPasswordChanged(t, u, password);
    const [row] = await t.db.dataSource.query('SELECT password_hash FROM users WHERE id = $1', [
      u.id,
    ]);
    expect(row.password_hash).not.toContain(password);
  });

  it('create-admin makes an admin whose printed password logs in', async () => {
    const run = await admin(t.db.url, 'create-admin', 'ops.rescue');
    const password = printedPassword(run);
    const token = await login(t, 'ops.rescue', password);
    const me = await t.http().get('/api/auth/me').set(bearer(token)).expect(200);
    expect(me.body.data).toMatchObject({ username: 'ops.rescue', is_admin: true, is_active: true });
    await t.http().get('/api/admin/users').set(bearer(token)).expect(200);
  });

  it('refuses unknown users, taken names, bad names and bad usage with exit code 1', async () => {
    const u = await createUser(t);
    const cases: [string[], RegExp][] = [
      [['reset-password', 'nobody-at-all'], /No user "nobody-at-all"/],
      [['create-admin', u.username], /Username already exists/],
      [['create-admin', 'a b'], /username must be/],
      [['reset-password'], /usage: npm run admin/],
      [['drop-tables', 'x'], /usage: npm run admin/],
    ];
    for (const [args, message] of cases) {
      const run = await admin(t.db.url, ...args);
      expect({ args, code: run.code }).toEqual({ args, code: 1 });
      expect(run.stderr).toMatch(message);
      expect(run.stdout).not.toMatch(/password:/);
    }
    await t
      .http()
      .post('/api/auth/login')
      .send({ username: u.username, password: u.password })
      .expect(200);
  }, 120_000); // five runs of the CLI, each loading TypeORM and checking migrations

  it('without DATABASE_URL works on the embedded PostgreSQL in DATA_DIR, the one npm start uses', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'smspanel-cli-'));
    chmodSync(dataDir, 0o755); // initdb runs as another user when we are root
    try {
      const run = await node(CLI, { DATA_DIR: dataDir }, ['create-admin', 'ops.embedded']).exited;
      const notice = `DATABASE_URL is not set: starting embedded PostgreSQL in ${dataDir}/postgres\n`;
      const password = printedPassword(run, notice);
      const port = await freePort();
      const app = node(MAIN, { DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info' });
      try {
        const deadline = Date.now() + 30_000;
        while (!/listening on/.test(app.run.stdout) && Date.now() < deadline) {
          expect(app.proc.exitCode).toBeNull();
          await new Promise((r) => setTimeout(r, 100));
        }
        const res = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ username: 'ops.embedded', password }),
        });
        expect(res.status).toBe(200);
        const body = (await res.json()) as { data: { user: { is_admin: boolean } } };
        expect(body.data.user.is_admin).toBe(true);
      } finally {
        app.proc.kill('SIGTERM');
        await app.exited;
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
