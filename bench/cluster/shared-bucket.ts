/**
 * Phase 1 of bench/cluster.ts, a shared bucket: rate 5/s, burst 5; a bulk job of 100 SMS
 * through the API. Over all its arrivals, every window [a_i, a_j] holds at most 5 + 5 × t
 * requests (5 ms slack), and the achieved rate (n - burst) / (last - first) is >= 97 % of 5/s.
 */
import { achievedRate, worstWindow } from '../../test/support/rate-check.js';
import { submitBulk, waitForJob } from '../lib/api.js';
import { compactCounts, perSecondCounts } from '../lib/cluster-kit.js';
import { hkNumbers, median, nowMs, round } from '../lib/util.js';
import {
  at,
  type ClusterRun,
  describeWorst,
  holdersText,
  SLACK_MS,
  sortNum,
  waitForArrivals,
} from './common.js';

export const P1 = { rate: 5, burst: 5, n: 100, minRatio: 0.97 };

export async function sharedBucket({ api, gateway, pgc, report }: ClusterRun) {
  console.log(`\n[1] shared bucket: ${P1.n} SMS at ${P1.rate}/s, burst ${P1.burst}`);
  const p1Start = gateway.requests.length;
  const p1Numbers = hkNumbers(0, P1.n);
  const p1Submitted = nowMs();
  const job1 = await submitBulk(api, p1Numbers, 'smspanel cluster bench, phase 1');
  console.log(`  job ${job1.id} accepted in ${round(nowMs() - p1Submitted, 1)} ms`);
  await waitForArrivals(
    'phase 1',
    () => gateway.requests.length - p1Start,
    P1.n,
    ((P1.n - P1.burst) / P1.rate) * 1000 * 1.5 + 20_000,
    async () => {
      const a = gateway.requests.slice(p1Start).map(at);
      const r = achievedRate(a, P1.burst);
      return `rate so far ${r === null ? '-' : round(r, 3)}/s; leases ${await holdersText(pgc)}`;
    },
  );
  const d1 = await waitForJob(api, job1.id);
  const p1 = sortNum(gateway.requests.slice(p1Start).map(at));
  const w1 = worstWindow(p1, P1.rate, P1.burst, SLACK_MS);
  const r1 = achievedRate(p1, P1.burst) ?? 0;
  const gaps1 = p1.slice(P1.burst).map((t, k) => t - p1[P1.burst - 1 + k]);
  console.log(`  per second: ${compactCounts(perSecondCounts(p1, p1[0]))}`);
  console.log(
    `  gaps after the burst (ms): min ${round(Math.min(...gaps1), 1)}, median ${round(median(gaps1), 1)}, max ${round(Math.max(...gaps1), 1)}`,
  );
  console.log(`  ${describeWorst('all arrivals', w1, P1.rate, P1.burst)}`);
  console.log(
    `  achieved rate ${round(r1, 4)}/s = ${round((r1 / P1.rate) * 100, 2)} % of ${P1.rate}/s; job ${d1.job_status}, sent ${d1.success_count}`,
  );
  report.check(
    '[1] worst window excess (100 SMS at 5/s)',
    w1.excessWithSlack,
    'requests',
    '<= 0',
    w1.holds,
  );
  report.check(
    '[1] achieved rate',
    (r1 / P1.rate) * 100,
    '%',
    `>= ${P1.minRatio * 100}`,
    r1 >= P1.rate * P1.minRatio,
  );
  if (d1.job_status !== 'completed' || d1.success_count !== P1.n)
    report.fail(`phase 1 job ${d1.job_status}, sent ${d1.success_count}/${P1.n}`);
  return {
    startedAt: p1Submitted,
    details: {
      n: P1.n,
      rate: P1.rate,
      burst: P1.burst,
      worst_window: w1.window && {
        count: w1.window.count,
        span_ms: round(w1.window.spanMs, 1),
        bound: round(w1.window.bound, 3),
      },
      achieved_rate: round(r1, 4),
    },
  };
}
