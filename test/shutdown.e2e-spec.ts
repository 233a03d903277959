import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeGateway } from '../bench/lib/fake-gateway.js';
import { hkMobiles } from './fixtures/messages.js';
import { createTestDatabase, TestDatabase } from './utils/test-database.js';

/**
 * Graceful shutdown of the built app (spec/QUEUE.md, "Durability"): on SIGTERM or SIGINT it
 * stops claiming, lets the sends in flight finish and records them, hands unstarted leases
 * back (without counting an attempt that was never made) and exits 0 within the grace
 * period. A second process on the same database then finishes the job, and since nothing
 * was in flight at the exit, every number reaches the gateway exactly once overall.
 */

const MAIN = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ADMIN = { username: 'SMSadmin', password: 'shutdown-test-admin-pw' };

const N = 40;
const GATEWAY_DELAY_MS = 400;
const GRACE_MS = 5_000;
/**
 * 20/s with a 400 ms gateway: ~8 requests in flight; a concurrency above that leaves claimed
 * recipients waiting for their token, so a shutdown has unstarted leases to hand back.
 */
const ENV = {
  SMS_RATE_PER_SEC: '20',
  SMS_BURST_CAPACITY: '1',
  QUEUE_CONCURRENCY: '16',
  SHUTDOWN_GRACE_MS: String(GRACE_MS),
};

interface AppRun {
  proc: ChildProcess;
  base: string;
  output(): string;
  exited: Promise<number | null>;
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

/** `node dist/src/main.js` with a clean environment plus `env`; resolves once ready. */
async function startApp(env: Record<string, string>): Promise<AppRun> {
  const base = { ...process.env };
  for (const key of Object.keys(base)) {
    if (/^(DATABASE_URL|ADMIN_|PORT$|SMS_|QUEUE_|SESSION_|NODE_OPTIONS$|LOG_LEVEL$)/.test(key)) {
      delete base[key];
    }
  }
  const port = await freePort();
  const proc = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      ...base,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      ADMIN_PASSWORD: ADMIN.password,
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  let out = '';
  proc.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  proc.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
  const run: AppRun = { proc, base: `http://127.0.0.1:${port}`, output: () => out, exited };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`exited with ${proc.exitCode}:\n${out}`);
    const res = await fetch(`${run.base}/api/health/ready`, {
      signal: AbortSignal.timeout(2_000),
    }).catch(() => undefined);
    if (res?.status === 200) return run;
    if (Date.now() > deadline) throw new Error(`not ready within 30 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function call(
  run: AppRun,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${run.base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function login(run: AppRun): Promise<string> {
  const res = await call(run, 'POST', '/api/auth/login', undefined, ADMIN);
  expect(res.status).toBe(200);
  return res.body.data.token;
}

/** The exit code, or a failure when the process is still running after `ms`. */
async function exitWithin(run: AppRun, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`still running ${ms} ms after the signal:\n${run.output()}`)),
      ms,
    );
  });
  try {
    return await Promise.race([run.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Row {
  phone: string;
  status: string;
  attempts: number;
  lease_owner: string | null;
}

const rowsOf = (db: TestDatabase, id: number): Promise<Row[]> =>
  db.dataSource.query(
    `SELECT phone, status, attempts, lease_owner FROM recipients WHERE message_id = $1 ORDER BY ordinal`,
    [id],
  );

const jobOf = async (db: TestDatabase, id: number) =>
  (
    await db.dataSource.query(
      `SELECT job_status, recipient_count, sent_count, failed_count, cancelled_count
       FROM messages WHERE id = $1`,
      [id],
    )
  )[0];

describe('Graceful shutdown of the built app (e2e)', () => {
  const dbs: TestDatabase[] = [];
  const gateways: FakeGateway[] = [];

  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
    dataDir = mkdtempSync(join(tmpdir(), 'smspanel-shutdown-'));
  });

  afterEach(() => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    children.clear();
  });

  afterAll(async () => {
    for (const gw of gateways) await gw.stop();
    for (const db of dbs) await db.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s while sends are in flight: they finish and are recorded, leases go back, exit 0; a second process finishes the job with no duplicate',
    async (signal) => {
      const db = await createTestDatabase('shutdown');
      dbs.push(db);
      const gw = await FakeGateway.start({
        defaultAnswer: { status: 200, body: 'OK', delayMs: GATEWAY_DELAY_MS },
      });
      gateways.push(gw);
      const env = { ...ENV, DATABASE_URL: db.url, SMS_PROVIDER: 'http', SMS_BASE_URL: gw.url };

      const first = await startApp(env);
      const token = await login(first);
      const numbers = hkMobiles(N);
      const accepted = await call(first, 'POST', '/api/sms/send-bulk', token, {
        recipients: numbers,
        content: `shutdown test (${signal})`,
      });
      expect(accepted.status).toBe(202);
      const id: number = accepted.body.data.id;

      // Past the first few sends, with more under way: the latest has just arrived.
      await gw.waitForRequests(12, 15_000);
      const signalledAt = performance.timeOrigin + performance.now();
      first.proc.kill(signal);
      const unanswered = gw.requests.filter((r) => r.at + GATEWAY_DELAY_MS > signalledAt).length;
      expect(unanswered).toBeGreaterThan(0);

      expect(await exitWithin(first, GRACE_MS)).toBe(0);
      expect(first.output()).toMatch(/lease\(s\) released/);
      expect(first.output()).not.toMatch(/aborting \d+ send\(s\)/);

      // What the gateway received is exactly what is recorded as sent; nothing is leased.
      const received = gw.requests.map((r) => r.to);
      expect(new Set(received).size).toBe(received.length);
      const afterExit = await rowsOf(db, id);
      const byPhone = new Map(afterExit.map((r) => [r.phone, r]));
      for (const phone of received) {
        expect(byPhone.get(phone)).toMatchObject({
          status: 'sent',
          attempts: 1,
          lease_owner: null,
        });
      }
      const rest = afterExit.filter((r) => !received.includes(r.phone));
      expect(rest).toHaveLength(N - received.length);
      // Released or never claimed: back in the queue, and no attempt counted.
      for (const r of rest)
        expect(r).toMatchObject({ status: 'pending', attempts: 0, lease_owner: null });
      expect(await jobOf(db, id)).toMatchObject({
        job_status: 'sending',
        recipient_count: N,
        sent_count: received.length,
        failed_count: 0,
      });
      // Rows claimed but unsent at the signal (if any: claims are sized to the tokens at hand)
      // are among `rest` above: back in the queue with no attempt counted.

      // A second process on the same database finishes the job.
      const second = await startApp(env);
      const deadline = Date.now() + 20_000;
      let job = await jobOf(db, id);
      while (job.job_status !== 'completed' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        job = await jobOf(db, id);
      }
      expect(job).toMatchObject({
        job_status: 'completed',
        recipient_count: N,
        sent_count: N,
        failed_count: 0,
        cancelled_count: 0,
      });
      await new Promise((r) => setTimeout(r, 500)); // nothing more may arrive
      const all = gw.requests.map((r) => r.to);
      expect(all).toHaveLength(N);
      expect(new Set(all)).toEqual(new Set(numbers));
      const final = await rowsOf(db, id);
      for (const r of final)
        expect(r).toMatchObject({ status: 'sent', attempts: 1, lease_owner: null });

      second.proc.kill('SIGTERM');
      expect(await exitWithin(second, GRACE_MS)).toBe(0);
    },
    60_000,
  );
});
