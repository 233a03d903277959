/**
 * Fair share between users, judged at the gateway (spec/FAIRNESS.md, "Measured by
 * benchmarks"). Three scenarios, each on the real app (dist/src/main.js, one process) with a
 * fresh database and a local fake gateway that records every arrival; users are made through
 * the admin API (POST /api/admin/users with their weight, no urgent right) and send with
 * their own API tokens, all in the normal lane.
 *
 * 1. otp: user A (weight 1) queues a 100 000-recipient bulk at 2/s burst 4; while it drains,
 *    user B (weight 1) sends 30 single SMS (POST /api/sms) at random times: the gaps between
 *    them are drawn uniformly from 1-3 s (a login service averaging half its fair share, 1/s
 *    beside A, and never above it). Figure: submission (just before the request) to the
 *    SMS's arrival at the gateway, p99 (nearest rank: of 30, the largest), median and max.
 *    Target p99 ≤ 1.5 s. For information, the p99 and minimum over the SMS that B sent while
 *    none of its own earlier ones was still waiting. Why the gaps have a floor: SMS sent
 *    faster than the sender's share queue behind each other, and no order that keeps
 *    FAIRNESS.md's precision (2 SMS + 2 % in any 10 s window, which bounds the head start
 *    of a user coming back from idle to about two SMS) can send them sooner; with 30 times
 *    drawn uniformly over 45 s, as this bench first did, 10 of B's fell within 4 s in one
 *    run and the last waited 6.6 s at 1/s, while the p99 of those sent with none of B's own
 *    waiting was 0.63 s. About 75 s.
 * 2. shares: users A (weight 1), B (weight 3) and C (weight 1) each queue a bulk of 2 000
 *    while the queue is paused, then it is resumed at 20/s burst 20; nobody can drain in the
 *    window (checked). Arrivals per user are counted in the 60 s from the first arrival.
 *    Target per user: |count − share × total| ≤ 2 + 2 % of total (share = weight / 5). For
 *    information: the worst such deviation over every 10 s window inside it (the spec's
 *    precision applies to any window of at least 10 s). About 65 s.
 * 3. eta: users A (weight 1), B (weight 2) and C (weight 1) queue bulks of 160, 240 and 200
 *    in that order while the queue is paused, at 10/s burst 10. An estimate made before
 *    everything is queued cannot foresee what comes after it (FAIRNESS.md), so each job's
 *    estimate is the one made once all three are queued: C's from its 202 answer, A's and
 *    B's from GET /api/sms/:id right after it; the queue is resumed right after those reads
 *    (the estimates assume sending goes on, so the few ms until the resume count against
 *    them). Each is compared with the job's completed_at: error = estimate − completed_at,
 *    target |error| ≤ max(5 % of (completed_at − time of the estimate), 2 s). For
 *    information: A's and B's own 202 estimates, and each job's last gateway arrival. The
 *    water-filling order finishes B first (48 s), then A (56 s), then C (60 s). About 65 s.
 * Every scenario also checks the rate bound of QUEUE.md over all its arrivals (count ≤ burst +
 * rate × t in every window), that no number arrived twice, and that the SMS it waits for
 * all arrived.
 *
 * Run: npm run bench:fairness   (DATABASE_URL=postgres://... to use a server instead of embedded)
 * BENCH_FAIRNESS=otp,shares,eta picks scenarios (default all three).
 */
import type { AppProcess } from '../test/support/app-process.js';
import { runBench } from '../test/support/cleanup.js';
import type { FakeGateway } from '../test/support/fake-gateway.js';
import { checkBound } from '../test/support/rate-check.js';
import {
  type BenchUser,
  createUser,
  deliveries,
  FINAL_STATUSES,
  jobDetail,
  type JobDetail,
  sendSms,
  setPaused,
  submitBulk,
  type Submitted,
  timesText,
} from './lib/api.js';
import { lowerBound } from './lib/cluster-kit.js';
import { percentile } from './lib/http-timing.js';
import { Report } from './lib/report.js';
import { withSingleApp } from './lib/setup.js';
import { hkNumbers, median, nowMs, round, sleep } from './lib/util.js';

const SCENARIOS = (process.env.BENCH_FAIRNESS ?? 'otp,shares,eta').split(',').map((s) => s.trim());

const OTP = {
  rate: 2,
  burst: 4,
  bulk: 100_000,
  singles: 30,
  gapMs: { min: 1_000, max: 3_000 },
  targetMs: 1_500,
};
const SHARES = {
  rate: 20,
  burst: 20,
  windowMs: 60_000,
  subWindowMs: 10_000,
  perUser: 2_000,
  users: [
    { name: 'A', weight: 1 },
    { name: 'B', weight: 3 },
    { name: 'C', weight: 1 },
  ],
};
const ETA = {
  rate: 10,
  burst: 10,
  ratio: 0.05,
  minMs: 2_000,
  jobs: [
    { name: 'A', weight: 1, sms: 160 },
    { name: 'B', weight: 2, sms: 240 },
    { name: 'C', weight: 1, sms: 200 },
  ],
};

const secs = (ms: number) => round(ms / 1000, 3);

/** The app of one scenario: its own database, the http gateway at `rate`/s, `burst`. */
function scenario(
  label: string,
  rate: number,
  burst: number,
  body: (app: AppProcess, gw: FakeGateway) => Promise<void>,
): Promise<number> {
  return withSingleApp(
    `fair${label}`,
    (db, gw) => ({
      DATABASE_URL: db.url,
      SMS_PROVIDER: 'http',
      SMS_BASE_URL: gw.url,
      SMS_RATE_PER_SEC: String(rate),
      SMS_BURST_CAPACITY: String(burst),
    }),
    async ({ app, gw, stopApp }) => {
      await body(app, gw);
      await stopApp();
      return 0;
    },
  );
}

/** The usual end checks: each number in `numbers` at most once; the rate bound. */
function checkArrivals(
  report: Report,
  name: string,
  gw: FakeGateway,
  rate: number,
  burst: number,
  numbers: readonly string[] = [],
): void {
  const { repeated, strangers } = deliveries(gw.requests, numbers);
  if (repeated.length) report.fail(`${name}: sent more than once: ${timesText(repeated)}`);
  if (numbers.length && strangers.length)
    report.fail(`${name}: ${strangers.length} unknown numbers reached the gateway`);
  const bound = checkBound(
    gw.requests.map((r) => r.at),
    rate,
    burst,
    report.failures,
  );
  report.add({ ...bound, name: `${name}: ${bound.name}` });
}

async function otp(report: Report): Promise<void> {
  const { rate, burst, bulk, singles, gapMs, targetMs } = OTP;
  console.log(
    `\n[otp] A's bulk of ${bulk} at ${rate}/s burst ${burst}; B sends ${singles} single SMS at random ` +
      `times, ${gapMs.min / 1000}-${gapMs.max / 1000} s apart; target: submission → gateway p99 ≤ ${targetMs / 1000} s`,
  );
  await scenario('otp', rate, burst, async (app, gw) => {
    const a = await createUser(app, 'otp_bulk_a');
    const b = await createUser(app, 'otp_single_b');
    const aNumbers = hkNumbers(0, bulk);
    const job = await submitBulk(app, aNumbers, 'fairness bench: A bulk', a.token);
    console.log(`[otp] A's bulk (job ${job.id}) accepted in ${round(job.ms, 0)} ms`);
    const bNumbers = hkNumbers(bulk, singles);
    let at = 0;
    const offsets = Array.from(
      { length: singles },
      () => (at += gapMs.min + Math.random() * (gapMs.max - gapMs.min)),
    );
    const t0 = nowMs();
    let sent = 0;
    const sends: Promise<Submitted>[] = offsets.map(async (offset, k) => {
      await sleep(Math.max(0, t0 + offset - nowMs()));
      const s = await sendSms(app, b.token, bNumbers[k], `fairness bench: B code ${k + 1}`);
      if (++sent % 10 === 0)
        console.log(
          `[otp] B has sent ${sent}/${singles} after ${secs(nowMs() - t0)} s; ` +
            `${gw.requests.length} SMS at the gateway`,
        );
      return s;
    });
    const submitted = await Promise.all(sends);
    const bSet = new Set(bNumbers);
    const arrivedB = () => gw.requests.filter((r) => bSet.has(r.to)).length;
    const waitUntil = nowMs() + 20_000;
    while (arrivedB() < singles && nowMs() < waitUntil) await sleep(100);
    await sleep(500); // nothing more of B's may arrive

    const firstAt = new Map<string, number>();
    for (const r of gw.requests) if (bSet.has(r.to) && !firstAt.has(r.to)) firstAt.set(r.to, r.at);
    const latencies: number[] = [];
    /** Of the SMS that arrived: whether one of B's earlier SMS was still waiting at its submission. */
    const behindOwn: boolean[] = [];
    const missing: string[] = [];
    submitted.forEach((s, k) => {
      const at = firstAt.get(bNumbers[k]);
      if (at === undefined) return missing.push(bNumbers[k]);
      latencies.push(at - s.submittedAt);
      behindOwn.push(
        submitted.some(
          (e, j) =>
            j !== k &&
            e.submittedAt < s.submittedAt &&
            (firstAt.get(bNumbers[j]) ?? Infinity) > s.submittedAt,
        ),
      );
    });
    console.log(
      `[otp] B's SMS, submission → gateway (s; * = one of B's own was still waiting): ` +
        latencies.map((ms, k) => `${secs(ms)}${behindOwn[k] ? '*' : ''}`).join(' '),
    );
    console.log(
      `[otp] B's queue_position at submission: ${[...new Set(submitted.map((s) => s.queue_position))].join(', ')}; ` +
        `A's SMS at the gateway: ${gw.requests.length - latencies.length}`,
    );
    if (missing.length)
      report.fail(`otp: B's SMS never reached the gateway: ${missing.join(', ')}`);
    const p99 = latencies.length ? percentile(latencies, 99) : null;
    report.check(
      `otp: B's single SMS beside A's ${bulk} bulk at ${rate}/s, submission → gateway p99 (n=${latencies.length})`,
      p99 === null ? null : p99 / 1000,
      's',
      `≤ ${targetMs / 1000}`,
      p99 !== null && p99 <= targetMs && missing.length === 0,
    );
    const alone = latencies.filter((_, k) => !behindOwn[k]);
    report.add(
      { name: 'otp: same, median', value: secs(median(latencies)), unit: 's' },
      { name: 'otp: same, max', value: secs(Math.max(...latencies)), unit: 's' },
      {
        name: `otp: same, only those sent while none of B's own waited (n=${alone.length}), p99`,
        value: alone.length ? secs(percentile(alone, 99)) : null,
        unit: 's',
      },
      {
        name: `otp: same, only those sent while none of B's own waited, min`,
        value: alone.length ? secs(Math.min(...alone)) : null,
        unit: 's',
      },
    );
    checkArrivals(report, 'otp', gw, rate, burst, [...aNumbers, ...bNumbers]);
  });
}

async function shares(report: Report): Promise<void> {
  const { rate, burst, windowMs, subWindowMs, perUser } = SHARES;
  const weightSum = SHARES.users.reduce((n, u) => n + u.weight, 0);
  console.log(
    `\n[shares] users ${SHARES.users.map((u) => `${u.name} (weight ${u.weight})`).join(', ')}, ` +
      `${perUser} SMS each queued while paused, then ${rate}/s burst ${burst}; arrivals per user ` +
      `over ${windowMs / 1000} s; target |count − share × total| ≤ 2 + 2 % of total`,
  );
  await scenario('shares', rate, burst, async (app, gw) => {
    const users: (BenchUser & { name: string; numbers: string[] })[] = [];
    for (const [k, u] of SHARES.users.entries()) {
      const made = await createUser(app, `shares_${u.name.toLowerCase()}`, u.weight);
      users.push({ ...made, name: u.name, numbers: hkNumbers(k * perUser, perUser) });
    }
    await setPaused(app, true);
    for (const u of users)
      await submitBulk(app, u.numbers, `fairness bench: ${u.name} bulk`, u.token);
    await setPaused(app, false);
    const resumedAt = nowMs();
    await gw.waitForRequests(1, 10_000);
    const first = gw.requests[0].at;
    let nextProgress = first + 10_000;
    while (nowMs() < first + windowMs + 1_000) {
      if (nowMs() >= nextProgress) {
        nextProgress += 10_000;
        console.log(
          `[shares] ${secs(nowMs() - first)} s: ${gw.requests.length} SMS at the gateway`,
        );
      }
      await sleep(100);
    }
    console.log(`[shares] first arrival ${round(first - resumedAt, 0)} ms after the resume`);

    const owner = new Map<string, number>();
    users.forEach((u, k) => u.numbers.forEach((n) => owner.set(n, k)));
    const arrivals = gw.requests.map((r) => ({ at: r.at, user: owner.get(r.to) ?? -1 }));
    const times = arrivals.map((a) => a.at);
    // |count − share × total| of each user over [from, to): the worst, and the bound.
    const deviations = (from: number, to: number) => {
      const inside = arrivals.slice(lowerBound(times, from), lowerBound(times, to));
      const total = inside.length;
      return {
        total,
        users: users.map((u, k) => {
          const count = inside.filter((a) => a.user === k).length;
          const expected = (total * u.weight) / weightSum;
          return { count, expected, deviation: count - expected, allowed: 2 + 0.02 * total };
        }),
      };
    };
    const main = deviations(first, first + windowMs);
    for (const [k, u] of users.entries()) {
      const d = main.users[k];
      const ok = Math.abs(d.deviation) <= d.allowed;
      report.check(
        `shares: user ${u.name} (weight ${u.weight}) over ${windowMs / 1000} s, count − share × total (total ${main.total})`,
        d.deviation,
        'SMS',
        `within ±${round(d.allowed, 2)}`,
        ok,
      );
      console.log(
        `[shares] ${u.name}: ${d.count} of ${main.total} (expected ${round(d.expected, 1)}), ` +
          `deviation ${round(d.deviation, 2)}, allowed ±${round(d.allowed, 2)}`,
      );
      const all = arrivals.filter((a) => a.user === k).length;
      if (all >= perUser)
        report.fail(`shares: user ${u.name} drained (${all} SMS): not backlogged all the window`);
    }
    // Every window of 10 s starting at an arrival inside the 60 s: the worst excess over the
    // allowance (≤ 0: within it everywhere).
    let worst = -Infinity;
    for (const t of times) {
      if (t < first || t + subWindowMs > first + windowMs) continue;
      for (const d of deviations(t, t + subWindowMs).users)
        worst = Math.max(worst, Math.abs(d.deviation) - d.allowed);
    }
    report.add({
      name: `shares: worst deviation beyond its allowance (2 + 2 % of total), any ${subWindowMs / 1000} s window (information)`,
      value: round(worst, 2),
      unit: 'SMS',
      target: '≤ 0',
    });
    console.log(
      `[shares] worst 10 s window: ${round(worst, 2)} SMS beyond its allowance (≤ 0 holds)`,
    );
    if (arrivals.some((a) => a.user < 0)) report.fail('shares: unknown numbers at the gateway');
    checkArrivals(report, 'shares', gw, rate, burst);
  });
}

async function eta(report: Report): Promise<void> {
  const { rate, burst, ratio, minMs } = ETA;
  console.log(
    `\n[eta] ${ETA.jobs.map((j) => `${j.name} (weight ${j.weight}) ${j.sms} SMS`).join(', ')} queued ` +
      `while paused, then ${rate}/s burst ${burst}; target per job: |estimate − completed_at| ≤ ` +
      `max(${ratio * 100} %, ${minMs / 1000} s)`,
  );
  await scenario('eta', rate, burst, async (app, gw) => {
    type Job = (typeof ETA.jobs)[number] & {
      user: BenchUser;
      numbers: string[];
      job?: Submitted;
      /** The judged estimate and when it was made (Date clock, as the app's). */
      estimate?: number;
      estimatedAt?: number;
      own202?: number;
    };
    const jobs: Job[] = [];
    let offset = 0;
    for (const j of ETA.jobs) {
      const user = await createUser(app, `eta_${j.name.toLowerCase()}`, j.weight);
      jobs.push({ ...j, user, numbers: hkNumbers(offset, j.sms) });
      offset += j.sms;
    }
    // Let the bucket fill, as the estimates count the tokens in hand.
    await sleep((burst / rate) * 1000 + 200);
    await setPaused(app, true);
    for (const j of jobs) {
      const before = Date.now();
      j.job = await submitBulk(app, j.numbers, `fairness bench: eta ${j.name}`, j.user.token);
      j.own202 = Date.parse(j.job.estimated_complete_at!);
      j.estimatedAt = before;
    }
    const last = jobs.at(-1)!;
    last.estimate = last.own202;
    for (const j of jobs.slice(0, -1)) {
      j.estimatedAt = Date.now();
      const d = await jobDetail(app, j.job!.id, j.user.token);
      j.estimate = Date.parse(d.estimated_complete_at!);
    }
    await setPaused(app, false);
    const resumedAt = Date.now();
    console.log(
      `[eta] queued; resumed ${resumedAt - last.estimatedAt!} ms after C's submission began; estimates: ` +
        jobs.map((j) => `${j.name} in ${secs(j.estimate! - j.estimatedAt!)} s`).join(', '),
    );

    const details = new Map<string, JobDetail>();
    const deadline = nowMs() + 120_000;
    let nextProgress = nowMs() + 10_000;
    while (nowMs() < deadline) {
      for (const j of jobs) details.set(j.name, await jobDetail(app, j.job!.id, j.user.token));
      if ([...details.values()].every((d) => FINAL_STATUSES.includes(d.job_status))) break;
      if (nowMs() >= nextProgress) {
        nextProgress += 10_000;
        console.log(
          `[eta] ${secs(Date.now() - resumedAt)} s: ` +
            jobs.map((j) => `${j.name} ${details.get(j.name)!.success_count}/${j.sms}`).join(', '),
        );
      }
      await sleep(200);
    }
    await sleep(500);
    const clockSkew = Date.now() - nowMs();
    for (const j of jobs) {
      const d = details.get(j.name)!;
      if (d.job_status !== 'completed' || !d.completed_at) {
        report.fail(`eta: job ${j.name} ended ${d.job_status} with ${d.success_count} sent`);
        continue;
      }
      const done = Date.parse(d.completed_at);
      const mine = new Set(j.numbers);
      const lastArrival =
        Math.max(...gw.requests.filter((r) => mine.has(r.to)).map((r) => r.at)) + clockSkew;
      const actual = done - j.estimatedAt!;
      const error = j.estimate! - done;
      const allowed = Math.max(ratio * actual, minMs);
      console.log(
        `[eta] ${j.name}: completed ${secs(actual)} s after its estimate was made ` +
          `(last arrival ${secs(lastArrival - j.estimatedAt!)} s); estimate ${secs(j.estimate! - j.estimatedAt!)} s: ` +
          `error ${secs(error)} s (allowed ±${secs(allowed)} s)` +
          (j === last
            ? ''
            : `; its own 202 estimate said ${secs(j.own202! - j.job!.submittedAt - clockSkew)} s`),
      );
      report.check(
        `eta: job ${j.name} (weight ${j.weight}, ${j.sms} SMS), estimate − completed_at` +
          (j === last ? ' (its 202 answer)' : ' (read once all were queued)'),
        error / 1000,
        's',
        `within ±${secs(allowed)}`,
        Math.abs(error) <= allowed,
      );
    }
    const all = jobs.flatMap((j) => j.numbers);
    const { missing } = deliveries(gw.requests, all);
    if (missing.length) report.fail(`eta: ${missing.length} SMS never reached the gateway`);
    checkArrivals(report, 'eta', gw, rate, burst, all);
  });
}

async function main(): Promise<number> {
  const report = new Report('fairness');
  const runs: Record<string, (r: Report) => Promise<void>> = { otp, shares, eta };
  for (const name of SCENARIOS) {
    const run = runs[name];
    if (!run) throw new Error(`BENCH_FAIRNESS: unknown scenario ${name} (otp, shares, eta)`);
    try {
      await run(report);
    } catch (err) {
      console.error(`[${name}] failed:`, err);
      report.fail(`${name}: ${(err as Error).message}`);
    }
  }
  return report.finish({
    database: process.env.DATABASE_URL ? new URL(process.env.DATABASE_URL).host : 'embedded',
    scenarios: SCENARIOS,
  });
}

runBench(main);
