import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { type AppProcess, exitCodeWithin, startApp } from './support/app-process.js';
import { FakeGateway } from './support/fake-gateway.js';
import { hkMobiles } from './fixtures/messages.js';
import { createTestDatabase, TestDatabase } from './support/test-database.js';

/**
 * Graceful shutdown of the built app (spec/QUEUE.md, "Durability"): on SIGTERM or SIGINT it
 * stops claiming, lets the sends in flight finish and records them, hands unstarted leases
 * back (without counting an attempt that was never made) and exits 0 within the grace
 * period. A second process on the same database then finishes the job, and since nothing
 * was in flight at the exit, every number reaches the gateway exactly once overall.
 */

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

const children: AppProcess[] = [];

/** The built app at LOG_LEVEL info (its shutdown lines are checked), once ready. */
async function start(env: Record<string, string>): Promise<AppProcess> {
  const app = await startApp({ LOG_LEVEL: 'info', ...env }, { label: 'shutdown' });
  children.push(app);
  return app;
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

  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });

  afterAll(async () => {
    for (const gw of gateways) await gw.stop();
    for (const db of dbs) await db.drop();
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

      const first = await start(env);
      const numbers = hkMobiles(N);
      const accepted = await first.api('POST', '/api/sms/send-bulk', {
        recipients: numbers,
        content: `shutdown test (${signal})`,
      });
      expect(accepted.status).toBe(202);
      const id: number = accepted.body.data.id;

      // Past the first few sends, with more under way: the latest has just arrived.
      await gw.waitForRequests(12, 15_000);
      const signalledAt = performance.timeOrigin + performance.now();
      first.kill(signal);
      const unanswered = gw.requests.filter((r) => r.at + GATEWAY_DELAY_MS > signalledAt).length;
      expect(unanswered).toBeGreaterThan(0);

      expect(await exitCodeWithin(first, GRACE_MS)).toBe(0);
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
      const second = await start(env);
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

      second.kill('SIGTERM');
      expect(await exitCodeWithin(second, GRACE_MS)).toBe(0);
    },
    60_000,
  );
});
