/** What the phases of bench/cluster.ts share: the cluster, its settings and a few helpers. */
import type pg from 'pg';
import type { AppProcess } from '../../test/support/app-process.js';
import type { FakeGateway, ReceivedRequest } from '../../test/support/fake-gateway.js';
import type { WorstWindow } from '../../test/support/rate-check.js';
import type { Report } from '../lib/report.js';
import { nowMs, round, sleep } from '../lib/util.js';

export const WORKERS = 3;
export const SLACK_MS = 5;
export const CONCURRENCY = 16;
export const LEASE_MS = 5_000;
const PROGRESS_EVERY_MS = 2_000;

export interface ClusterRun {
  api: AppProcess;
  workers: AppProcess[];
  gateway: FakeGateway;
  /** The bench's own connection to the cluster's database. */
  pgc: pg.Client;
  report: Report;
}

export const at = (r: ReceivedRequest) => r.at;
export const sortNum = (a: number[]) => a.sort((x, y) => x - y);

export function describeWorst(label: string, w: WorstWindow, rate: number, burst: number): string {
  if (!w.window) return `${label}: no arrivals`;
  const win = w.window;
  return (
    `${label}: worst window #${win.i + 1}..#${win.j + 1} = ${win.count} requests in ${round(win.spanMs, 1)} ms, ` +
    `bound ${burst} + ${rate} × ${round(win.spanMs / 1000, 4)} s = ${round(win.bound, 3)}; ` +
    `excess ${round(w.excess, 3)} (${round(w.excessWithSlack, 3)} with ${w.slackMs} ms slack) → ` +
    (w.holds ? 'bound holds' : 'BOUND BROKEN')
  );
}

/** Waits until `count()` >= n, printing progress; throws after `timeoutMs`. */
export async function waitForArrivals(
  what: string,
  count: () => number,
  n: number,
  timeoutMs: number,
  progress: () => Promise<string>,
): Promise<void> {
  const started = nowMs();
  let last = started;
  while (count() < n) {
    if (nowMs() - started > timeoutMs) {
      throw new Error(
        `${what}: only ${count()}/${n} requests after ${round(timeoutMs / 1000, 1)} s`,
      );
    }
    if (nowMs() - last >= PROGRESS_EVERY_MS) {
      last = nowMs();
      console.log(
        `  ${what}: ${count()}/${n} after ${round((last - started) / 1000, 1)} s; ${await progress()}`,
      );
    }
    await sleep(20);
  }
}

export async function setRate(api: AppProcess, rate: number, burst: number) {
  const sent = nowMs();
  const res = await api.api('PUT', '/api/admin/rate-limit', {
    msgs_per_sec: rate,
    burst_capacity: burst,
  });
  const answered = nowMs();
  if (res.status !== 200) throw new Error(`PUT rate-limit: HTTP ${res.status}`);
  return { sent, answered };
}

/** The worker ids holding `sending` recipients, and how many each. */
export const leaseHolders = async (pgc: pg.Client) =>
  (
    await pgc.query<{ owner: string; n: number }>(
      `SELECT lease_owner AS owner, count(*)::int AS n FROM recipients
       WHERE status = 'sending' GROUP BY lease_owner`,
    )
  ).rows;

export const pidOf = (owner: string) => Number(owner.split(':').at(-2));

export const holdersText = async (pgc: pg.Client) =>
  (await leaseHolders(pgc)).map((h) => `pid ${pidOf(h.owner)}: ${h.n}`).join(', ') || 'none';
