/**
 * Scheduling at the gateway (spec/SCHEDULING.md, issue "Scheduling"): the real app
 * (dist/src/main.js) sends to a local fake gateway at 5/s with a burst of 5.
 *
 * 1. Start lag: five single SMS, each scheduled 3 s ahead on an idle queue (one after the
 *    other): first gateway arrival − send_at. Target: ≤ 1 s each.
 * 2. Validity: 100 SMS valid for 8 s (allow_expiry): no arrival after valid_until (a request
 *    started in time may land up to ARRIVAL_SLACK_MS later), the rest `expired`.
 * 3. A send window edge: a window open all day but the minute [E, E + 60 s), E the next minute
 *    boundary at least 25 s ahead (UTC). A job that needs 40 s of sending is submitted 20 s
 *    before E: no arrival inside the closed minute, the rest after it reopens (within 1 s),
 *    and its estimate at submission (which skips the closed minute) against the last arrival:
 *    within max(5 %, 2 s) of the time from submission.
 * Every arrival also keeps the window bound of the rate. About 2.5 min.
 *
 * Run: npm run bench:scheduling   (DATABASE_URL=postgres://... to use a server)
 */
import type { AppProcess } from '../test/support/app-process.js';
import { runBench } from '../test/support/cleanup.js';
import type { FakeGateway } from '../test/support/fake-gateway.js';
import { checkBound } from '../test/support/rate-check.js';
import { waitForJob } from './lib/api.js';
import { Report } from './lib/report.js';
import { withSingleApp } from './lib/setup.js';
import { hkNumbers, nowMs, round, sleep } from './lib/util.js';

const RATE = 5;
const BURST = 5;
const LAG_RUNS = 5;
const LAG_AHEAD_MS = 3_000;
const LAG_MAX_MS = 1_000;
const ARRIVAL_SLACK_MS = 250;
const VALID_FOR_MS = 8_000;
const WINDOW_LEAD_MS = 20_000;
const WINDOW_SEND_S = 40;

const secs = (ms: number) => `${round(ms / 1000, 3)} s`;
const iso = (ms: number) => new Date(ms).toISOString();
const hhmm = (ms: number) => iso(ms).slice(11, 16);

async function post(app: AppProcess, path: string, body: object) {
  const res = await app.api<{ data: { id: number; estimated_complete_at: string | null } }>(
    'POST',
    path,
    JSON.stringify(body),
  );
  if (res.status !== 202)
    throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

async function finished(app: AppProcess, id: number, timeoutMs: number) {
  const d = await waitForJob(app, id, timeoutMs, 200);
  if (!d.completed_at) throw new Error(`job ${id} not finished after ${secs(timeoutMs)}`);
  return d;
}

const arrivalsOf = (gw: FakeGateway, numbers: readonly string[]) => {
  const mine = new Set(numbers);
  return gw.requests.filter((r) => mine.has(r.to)).map((r) => r.at);
};

async function startLag(app: AppProcess, gw: FakeGateway, report: Report) {
  const lags: number[] = [];
  for (let i = 0; i < LAG_RUNS; i++) {
    const to = hkNumbers(10 + i, 1);
    const sendAt = Date.now() + LAG_AHEAD_MS;
    await post(app, '/api/sms', { recipient: to[0], content: 'scheduled', send_at: iso(sendAt) });
    const until = sendAt + 10_000;
    while (arrivalsOf(gw, to).length === 0 && nowMs() < until) await sleep(20);
    const [at] = arrivalsOf(gw, to);
    if (at === undefined) throw new Error(`scheduled SMS ${i + 1} never arrived`);
    lags.push(at - sendAt);
    console.log(`[lag] SMS ${i + 1}: first arrival ${secs(at - sendAt)} after send_at`);
  }
  const worst = Math.max(...lags);
  report.check(
    'scheduled start lag, worst of 5',
    worst / 1000,
    's',
    `≤ ${LAG_MAX_MS / 1000}`,
    worst >= 0 && worst <= LAG_MAX_MS,
  );
}

async function validity(app: AppProcess, gw: FakeGateway, report: Report) {
  const to = hkNumbers(1_000, 100);
  const validUntil = Date.now() + VALID_FOR_MS;
  const job = await post(app, '/api/sms/send-bulk', {
    recipients: to,
    content: 'valid for 8 s',
    valid_until: iso(validUntil),
    allow_expiry: true,
    send_window: null,
  });
  const d = await finished(app, job.id, VALID_FOR_MS + 15_000);
  const late = arrivalsOf(gw, to).filter((at) => at > validUntil + ARRIVAL_SLACK_MS).length;
  console.log(
    `[validity] ${d.success_count} sent, ${d.expired_count} expired; last arrival ` +
      `${secs(Math.max(...arrivalsOf(gw, to)) - validUntil)} after valid_until`,
  );
  report.check('arrivals after valid_until', late, 'requests', '= 0', late === 0);
  report.check(
    'expired at valid_until (of 100)',
    d.expired_count,
    'SMS',
    '> 0',
    d.expired_count > 0,
  );
}

async function windowEdge(app: AppProcess, gw: FakeGateway, report: Report) {
  // E: the first minute boundary at least WINDOW_LEAD_MS + 5 s ahead; submit 20 s before it.
  const edge = Math.ceil((Date.now() + WINDOW_LEAD_MS + 5_000) / 60_000) * 60_000;
  const reopens = edge + 60_000;
  const window = { start: hhmm(reopens), end: hhmm(edge), time_zone: 'UTC' };
  console.log(
    `[window] closed ${iso(edge)} to ${iso(reopens)}: send_window ${JSON.stringify(window)}`,
  );
  await sleep(edge - WINDOW_LEAD_MS - Date.now());
  const n = BURST + RATE * WINDOW_SEND_S;
  const to = hkNumbers(2_000, n);
  const submittedAt = Date.now();
  const job = await post(app, '/api/sms/send-bulk', {
    recipients: to,
    content: 'across a closed minute',
    send_window: window,
  });
  const estimate = Date.parse(job.estimated_complete_at!);
  console.log(`[window] ${n} SMS submitted; estimated_complete_at ${job.estimated_complete_at}`);
  const d = await finished(app, job.id, WINDOW_LEAD_MS + 60_000 + WINDOW_SEND_S * 2_000);
  const arrivals = arrivalsOf(gw, to);
  const inside = arrivals.filter((at) => at > edge + ARRIVAL_SLACK_MS && at < reopens).length;
  const firstAfter = Math.min(...arrivals.filter((at) => at >= reopens));
  const last = Math.max(...arrivals);
  const errorMs = estimate - last;
  const toleranceMs = Math.max(0.05 * (last - submittedAt), 2_000);
  console.log(
    `[window] ${d.success_count} sent; ${arrivals.filter((at) => at <= edge + ARRIVAL_SLACK_MS).length} ` +
      `before the close, ${inside} inside, first after the reopening ${secs(firstAfter - reopens)} ` +
      `after it; last arrival ${iso(last)}, estimate − actual ${secs(errorMs)}`,
  );
  report.check('arrivals inside the closed minute', inside, 'requests', '= 0', inside === 0);
  report.check(
    'first arrival after the window reopens',
    (firstAfter - reopens) / 1000,
    's',
    '≤ 1',
    firstAfter - reopens <= 1_000,
  );
  report.check(
    'ETA error at submission across the closed minute',
    errorMs / 1000,
    's',
    `within ±${round(toleranceMs / 1000, 3)}`,
    Math.abs(errorMs) <= toleranceMs,
  );
  report.check(
    'window job sent (of ' + n + ')',
    d.success_count,
    'SMS',
    `= ${n}`,
    d.success_count === n,
  );
}

async function main(): Promise<number> {
  console.log(
    `scheduling: send_at lag, validity and a send window edge at ${RATE}/s, burst ${BURST}`,
  );
  const report = new Report('scheduling');
  return withSingleApp(
    'scheduling',
    (db, gw) => ({
      DATABASE_URL: db.url,
      SMS_PROVIDER: 'http',
      SMS_BASE_URL: gw.url,
      SMS_RATE_PER_SEC: String(RATE),
      SMS_BURST_CAPACITY: String(BURST),
    }),
    async ({ db, gw, app }) => {
      await startLag(app, gw, report);
      await validity(app, gw, report);
      await windowEdge(app, gw, report);
      report.add(
        checkBound(
          gw.requests.map((r) => r.at),
          RATE,
          BURST,
          report.failures,
        ),
      );
      return report.finish({ database: db.server }, () => app.dumpOutput('a check failed'));
    },
  );
}

runBench(main);
