/**
 * Phase 3 of bench/cluster.ts, a worker dies holding leases: rate 200/s (so that the bucket
 * does not pace recovery), the gateway answers after 500 ms, QUEUE_LEASE_MS 5000,
 * QUEUE_CONCURRENCY 16. Once the third backlog (400 SMS) is flowing, the worker holding the
 * most leases gets SIGKILL. The recipients it held (rows still `sending` under its id once it
 * is dead) must all reach the gateway again from another worker within one lease period + 1 s
 * of the kill; the `workers` count of GET /api/queue/status must go from 3 to 2 within one
 * lease period (+ the 100 ms polling step). No recipient may be lost; duplicates only among
 * those the dead worker had in flight.
 */
import { worstWindow } from '../../test/support/rate-check.js';
import { deliveries, queueStatus, submitBulk, timesText, waitForJob } from '../lib/api.js';
import { hkNumbers, nowMs, round, sleep } from '../lib/util.js';
import {
  at,
  type ClusterRun,
  describeWorst,
  holdersText,
  LEASE_MS,
  leaseHolders,
  pidOf,
  setRate,
  SLACK_MS,
  sortNum,
  waitForArrivals,
  WORKERS,
} from './common.js';

const P3 = { rate: 200, burst: 20, n: 400, gatewayDelayMs: 500, killAfter: 100 };
const RESUME_TARGET_MS = LEASE_MS + 1_000;
const STATUS_POLL_MS = 100;
const WORKERS_DROP_TARGET_MS = LEASE_MS + STATUS_POLL_MS;
const PROGRESS_EVERY_MS = 2_000;

export async function workerKill({ api, workers, gateway, pgc, report }: ClusterRun) {
  console.log(
    `\n[3] worker killed holding leases: ${P3.n} SMS at ${P3.rate}/s (burst ${P3.burst}), gateway answers after ` +
      `${P3.gatewayDelayMs} ms; SIGKILL after ${P3.killAfter} requests`,
  );
  await setRate(api, P3.rate, P3.burst);
  gateway.setDefault({ status: 200, body: 'OK', delayMs: P3.gatewayDelayMs });
  await sleep(300);
  const p3Start = gateway.requests.length;
  const p3Numbers = hkNumbers(20_000, P3.n);
  const job3 = await submitBulk(api, p3Numbers, 'smspanel cluster bench, phase 3');
  await waitForArrivals(
    'phase 3 before the kill',
    () => gateway.requests.length - p3Start,
    P3.killAfter,
    20_000,
    async () => `leases ${await holdersText(pgc)}`,
  );
  const holders = await leaseHolders(pgc);
  const statusBefore = await queueStatus(api);
  const byPid = new Map(holders.map((h) => [pidOf(h.owner), h]));
  const victim = [...workers].sort(
    (a, b) => (byPid.get(b.pid)?.n ?? 0) - (byPid.get(a.pid)?.n ?? 0),
  )[0];
  const victimOwner = byPid.get(victim.pid)?.owner;
  console.log(
    `  before the kill: workers ${statusBefore.workers}; leases ${holders.map((h) => `pid ${pidOf(h.owner)}: ${h.n}`).join(', ')}; ` +
      `killing ${victim.label} (pid ${victim.pid})`,
  );
  if (!victimOwner) throw new Error('no worker holds leases at the kill: nothing to test');
  const killAt = nowMs();
  victim.kill('SIGKILL');
  await victim.exited;
  const deadAt = nowMs();
  // A statement the dead process had sent may still commit; then its leases are what it held.
  await sleep(300);
  const held = (
    await pgc.query<{ id: string; phone: string; lease_expires_at: Date }>(
      `SELECT id::text, phone, lease_expires_at FROM recipients
       WHERE status = 'sending' AND lease_owner = $1`,
      [victimOwner],
    )
  ).rows;
  const heartbeat = (
    await pgc.query<{ expires_at: Date }>(`SELECT expires_at FROM workers WHERE id = $1`, [
      victimOwner,
    ])
  ).rows[0];
  const heldPhones = new Set(held.map((h) => h.phone));
  // Until its lease ends, a held recipient cannot be claimed by anyone else: a request for
  // it that reaches the gateway by then is the dead worker's own (in flight at the kill; it
  // may be recorded a little after the SIGKILL), and the first one after is the re-send.
  const leaseEndOf = new Map(held.map((h) => [h.phone, h.lease_expires_at.getTime()]));
  const sentByVictim = new Set(
    gateway.requests
      .slice(p3Start)
      .filter((r) => heldPhones.has(r.to) && r.at <= leaseEndOf.get(r.to)!)
      .map((r) => r.to),
  );
  const inFlight = [...heldPhones].filter((p) => sentByVictim.has(p));
  const leaseEnd = Math.max(...held.map((h) => h.lease_expires_at.getTime()));
  console.log(
    `  ${victim.label} dead ${round(deadAt - killAt, 1)} ms after SIGKILL; it held ${held.length} recipient(s), ` +
      `${inFlight.length} of them already at the gateway (in flight); their leases end ` +
      `${round(Math.min(...held.map((h) => h.lease_expires_at.getTime())) - killAt, 0)}..${round(leaseEnd - killAt, 0)} ms after the kill; ` +
      `its heartbeat row expires ${heartbeat ? round(heartbeat.expires_at.getTime() - killAt, 0) : 'n/a'} ms after the kill`,
  );

  // Poll: the workers count, and who holds the dead worker's recipients.
  let workersDropMs: number | null = null;
  let lastThreeMs: number | null = null;
  let reclaimedMs: number | null = null;
  const heldIds = held.map((h) => h.id);
  const resentAt = new Map<string, number>();
  const resumeDeadline = killAt + LEASE_MS + 15_000;
  let lastProgress = nowMs();
  while (nowMs() < resumeDeadline) {
    const polled = nowMs();
    const s = await queueStatus(api);
    if (workersDropMs === null) {
      if (s.workers <= WORKERS - 1) workersDropMs = nowMs() - killAt;
      else lastThreeMs = polled - killAt;
    }
    if (reclaimedMs === null && heldIds.length) {
      const still = await pgc.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM recipients WHERE id = ANY($1::bigint[]) AND lease_owner = $2`,
        [heldIds, victimOwner],
      );
      if (still.rows[0].n === 0) reclaimedMs = nowMs() - killAt;
    }
    for (const r of gateway.requests.slice(p3Start)) {
      if (heldPhones.has(r.to) && r.at > leaseEndOf.get(r.to)! && !resentAt.has(r.to))
        resentAt.set(r.to, r.at);
    }
    if (workersDropMs !== null && resentAt.size === heldPhones.size) break;
    if (nowMs() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = nowMs();
      console.log(
        `  ${round((lastProgress - killAt) / 1000, 1)} s after the kill: workers ${s.workers}, ` +
          `held recipients re-sent ${resentAt.size}/${heldPhones.size}, leases ${await holdersText(pgc)}`,
      );
    }
    await sleep(Math.max(0, STATUS_POLL_MS - (nowMs() - polled)));
  }
  const resumeMs =
    resentAt.size === heldPhones.size && heldPhones.size > 0
      ? Math.max(...resentAt.values()) - killAt
      : null;
  const firstResumeMs = resentAt.size > 0 ? Math.min(...resentAt.values()) - killAt : null;
  console.log(
    `  workers count: 3 until ${lastThreeMs === null ? 'n/a' : round(lastThreeMs, 0)} ms, 2 from ${workersDropMs === null ? 'never' : round(workersDropMs, 0)} ms after the kill (target <= ${WORKERS_DROP_TARGET_MS} ms)`,
  );
  console.log(
    `  held work: all leases taken over ${reclaimedMs === null ? 'n/a' : round(reclaimedMs, 0)} ms after the kill; ` +
      `first re-sent at ${firstResumeMs === null ? 'n/a' : round(firstResumeMs, 0)} ms, all ${heldPhones.size} re-sent at ` +
      `${resumeMs === null ? 'NOT ALL' : round(resumeMs, 0)} ms (target <= ${RESUME_TARGET_MS} ms; lease end of the last held ` +
      `${round(leaseEnd - killAt, 0)} ms)`,
  );
  report.check(
    '[3] killed worker: its leased work resumes after',
    resumeMs,
    'ms',
    `<= ${RESUME_TARGET_MS}`,
    resumeMs !== null && resumeMs <= RESUME_TARGET_MS,
  );
  report.check(
    '[3] resume after the lease ended',
    resumeMs === null ? null : resumeMs - (leaseEnd - killAt),
    'ms',
    null,
    null,
  );
  report.check('[3] leases reclaimed after', reclaimedMs, 'ms', null, null);
  report.check('[3] recipients the killed worker held', heldPhones.size, 'recipients', null, null);
  report.check(
    '[3] live workers before the kill',
    statusBefore.workers,
    'workers',
    `= ${WORKERS}`,
    statusBefore.workers === WORKERS,
  );
  report.check(
    '[3] killed worker leaves the count after',
    workersDropMs,
    'ms',
    `<= ${WORKERS_DROP_TARGET_MS}`,
    workersDropMs !== null && workersDropMs <= WORKERS_DROP_TARGET_MS,
  );
  const statusAfter = await queueStatus(api);
  report.check(
    '[3] live workers after',
    statusAfter.workers,
    'workers',
    `= ${WORKERS - 1}`,
    statusAfter.workers === WORKERS - 1,
  );

  await waitForArrivals(
    'phase 3 rest',
    () => new Set(gateway.requests.slice(p3Start).map((r) => r.to)).size,
    P3.n,
    60_000,
    async () => `leases ${await holdersText(pgc)}`,
  );
  const d3 = await waitForJob(api, job3.id);
  await sleep(500); // nothing more may arrive
  const p3Requests = gateway.requests.slice(p3Start);
  const { missing, repeated: duplicated, strangers } = deliveries(p3Requests, p3Numbers);
  const badDuplicates = duplicated.filter(([n, c]) => c > 2 || !inFlight.includes(n));
  const p3 = sortNum(p3Requests.map(at));
  const w3 = worstWindow(p3, P3.rate, P3.burst, SLACK_MS);
  console.log(`  ${describeWorst(`phase 3 (${P3.rate}/s)`, w3, P3.rate, P3.burst)}`);
  console.log(
    `  job ${job3.id}: ${d3.job_status}, sent ${d3.success_count}/${P3.n}; gateway requests ${p3Requests.length}, ` +
      `duplicates ${duplicated.length} (allowed: the ${inFlight.length} in flight at the kill), missing ${missing.length}`,
  );
  report.check(
    '[3] numbers sent twice',
    duplicated.length,
    'recipients',
    `<= ${inFlight.length}`,
    badDuplicates.length === 0,
  );
  report.check('[3] worst window excess', w3.excessWithSlack, 'requests', '<= 0', w3.holds);
  if (missing.length) report.fail(`phase 3: never sent: ${missing.slice(0, 10).join(', ')}`);
  if (strangers.length)
    report.fail(`phase 3: unexpected numbers ${strangers.slice(0, 10).join(', ')}`);
  if (badDuplicates.length)
    report.fail(`phase 3: duplicates not in flight at the kill: ${timesText(badDuplicates)}`);
  if (d3.job_status !== 'completed' || d3.success_count !== P3.n)
    report.fail(`phase 3 job ${d3.job_status}, sent ${d3.success_count}/${P3.n}`);
  return {
    victim,
    details: {
      n: P3.n,
      rate: P3.rate,
      gateway_delay_ms: P3.gatewayDelayMs,
      held: heldPhones.size,
      in_flight: inFlight.length,
      lease_end_ms: round(leaseEnd - killAt, 0),
      heartbeat_expiry_ms: heartbeat ? round(heartbeat.expires_at.getTime() - killAt, 0) : null,
      reclaimed_ms: reclaimedMs === null ? null : round(reclaimedMs, 0),
      resume_ms: resumeMs === null ? null : round(resumeMs, 0),
      workers_drop_ms: workersDropMs === null ? null : round(workersDropMs, 0),
      duplicates: duplicated.length,
      gateway_requests: p3Requests.length,
    },
  };
}
