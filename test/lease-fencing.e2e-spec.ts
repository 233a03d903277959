import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { AppProcess, startApp } from './support/app-process.js';
import { FakeGateway, ReceivedRequest } from './support/fake-gateway.js';
import { hkMobiles } from './fixtures/messages.js';
import { eventually } from './fixtures/waiting.js';
import { createTestDatabase, TestDatabase } from './support/test-database.js';

/**
 * QUEUE.md, "A live process keeps its work", with real processes of the built app on one
 * database: a process renews its leases however slow its gateway, so nothing is taken from
 * it while it lives; a process frozen past its lease (SIGSTOP) loses its claims to the other
 * one and, once thawed (SIGCONT), finds out before its next request and sends none of them.
 * Each process authenticates to the gateway with its own secret, so every arrival says which
 * process made it.
 */
/**
 * Long enough that a live process on a loaded machine (CI runs two test workers, two app
 * processes and PostgreSQL on two cores) renews in time: renewals come every quarter lease,
 * so only a stall of three quarters of it would count as a freeze.
 */
const LEASE_MS = 2500;
/** SMS in the SIGSTOP case: work is left for the thawed process after its leases ran out. */
const FREEZE_N = 200;

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sender = (r: ReceivedRequest) => String(r.headers.authorization);
const duplicates = (requests: ReceivedRequest[]) =>
  requests.length - new Set(requests.map((r) => r.to)).size;

describe('Leases: renewed while alive, fenced after a freeze (two processes, e2e)', () => {
  let db: TestDatabase;
  let gw: FakeGateway;
  let apps: AppProcess[] = [];

  const start = (name: string, env: Record<string, string>) =>
    startApp(
      {
        DATABASE_URL: db.url,
        SMS_PROVIDER: 'http',
        SMS_BASE_URL: gw.url,
        SMS_API_SECRET: name,
        QUEUE_LEASE_MS: String(LEASE_MS),
        QUEUE_POLL_MS: '200',
        ...env,
      },
      { label: name },
    ).then((app) => (apps.push(app), app));

  async function finished(app: AppProcess, id: number) {
    return eventually(async () => {
      const d = (await app.api('GET', `/api/sms/${id}`)).body.data;
      return d.completed_at ? d : null;
    }, 60000);
  }

  beforeAll(async () => {
    db = await createTestDatabase('leasefence');
    gw = await FakeGateway.start();
  });
  afterEach(async () => {
    for (const app of apps) {
      process.kill(app.pid, 'SIGCONT');
      await app.stop();
    }
    apps = [];
    gw.reset();
  });
  afterAll(async () => {
    await gw.stop();
    await db.drop();
  });

  it('a gateway slower than the lease: the other process takes nothing over, no duplicate', async () => {
    gw.setDefault({ status: 200, body: 'OK', delayMs: 2 * LEASE_MS });
    const env = { SMS_RATE_PER_SEC: '50', SMS_BURST_CAPACITY: '10', QUEUE_CONCURRENCY: '10' };
    const [a, b] = [await start('alpha', env), await start('beta', env)];
    const res = await a.api('POST', '/api/sms/send-bulk', {
      recipients: hkMobiles(16, 100),
      content: 'slow gateway',
    });
    expect(res.status).toBe(202);
    const done = await finished(b, res.body.data.id);
    expect(done).toMatchObject({ job_status: 'completed', success_count: 16 });
    expect(gw.requests).toHaveLength(16);
    expect(duplicates(gw.requests)).toBe(0);
  });

  it('SIGSTOP for twice the lease: the other process finishes; the thawed one re-sends nothing it had claimed', async () => {
    const delayMs = 150;
    gw.setDefault({ status: 200, body: 'OK', delayMs });
    // The rate binds, so the frozen process nearly always holds a claimed SMS waiting for its token.
    const env = { SMS_RATE_PER_SEC: '20', SMS_BURST_CAPACITY: '2', QUEUE_CONCURRENCY: '8' };
    const [a, b] = [await start('alpha', env), await start('beta', env)];
    const res = await a.api('POST', '/api/sms/send-bulk', {
      recipients: hkMobiles(FREEZE_N, 500),
      content: 'freeze',
    });
    expect(res.status).toBe(202);
    await eventually(
      async () => gw.requests.filter((r) => sender(r) === 'Bearer alpha').length >= 5,
    );

    process.kill(a.pid, 'SIGSTOP');
    const stoppedAt = now();
    // What the frozen process holds, once the statements it had sent have run: requests it
    // made among these never had their results written.
    await sleep(LEASE_MS / 5);
    const held: { phone: string }[] = await db.dataSource.query(
      `SELECT phone FROM recipients WHERE status = 'sending' AND lease_owner LIKE $1`,
      [`%:${a.pid}:%`],
    );
    const heldAtStop = new Set(held.map((r) => r.phone));
    await sleep(2 * LEASE_MS - LEASE_MS / 5);
    process.kill(a.pid, 'SIGCONT');
    const thawedAt = now();

    const done = await finished(b, res.body.data.id);
    expect(done).toMatchObject({ job_status: 'completed', success_count: FREEZE_N });
    // Requests of the frozen process whose results were not written when it stopped: the
    // other process may rightly send those again, and nothing else.
    const inFlightAtStop = gw.requests.filter(
      (r) => sender(r) === 'Bearer alpha' && r.at < thawedAt && heldAtStop.has(r.to),
    ).length;
    if (duplicates(gw.requests) > inFlightAtStop) {
      const counts = new Map<string, number>();
      for (const r of gw.requests) counts.set(r.to, (counts.get(r.to) ?? 0) + 1);
      const rel = (t?: number) => (t === undefined ? '-' : Math.round(t - stoppedAt));
      console.log(
        `duplicates beyond in-flight (ms from SIGSTOP, thaw at ${rel(thawedAt)}):\n` +
          gw.requests
            .filter((r) => (counts.get(r.to) ?? 0) > 1)
            .map(
              (r) =>
                `${r.to} ${sender(r)} at ${rel(r.at)} answered ${rel(r.answeredAt)} held ${heldAtStop.has(r.to)}`,
            )
            .join('\n'),
      );
    }
    expect(duplicates(gw.requests)).toBeLessThanOrEqual(inFlightAtStop);
    // After the thaw it sends only what it claimed afresh: never a number already requested.
    const seen = new Set<string>();
    const resentAfterThaw = gw.requests.filter((r) => {
      const again = seen.has(r.to);
      seen.add(r.to);
      return again && r.at > thawedAt && sender(r) === 'Bearer alpha';
    });
    expect(resentAfterThaw.map((r) => r.to)).toEqual([]);
    expect(new Set(gw.requests.map((r) => r.to)).size).toBe(FREEZE_N);
  });
});
