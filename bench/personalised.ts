/**
 * Personalised bulk against plain bulk (CONTENT.md, issue 16): what rendering each
 * recipient's text costs at submission. POST /api/sms/send-bulk with BENCH_PERSONALISED
 * (default 100 000) recipients as `{phone, vars: {name, date}}` and the text
 * `Dear {{name}}, your appointment is on {{date}}.`, against the same number of plain
 * recipients (strings) with one text of the same length, over real HTTP to the real app
 * (dist/src/main.js, queue paused so nothing is sent). Bodies are serialised before the clock
 * starts; each submission is timed from the request to its 202.
 *
 * Runs: a warm-up of 1 000 each, then BENCH_PERSONALISED_RUNS (default 3) of each,
 * interleaved; medians. Figures: median submission time of each, their rates, and
 * personalised / plain (target ≤ 3×: set from what this machine measured, see the README's
 * benchmark table). Checked: every submission 202 with every recipient queued, each
 * personalised recipient stored with its own text.
 *
 * Run: npm run bench:personalised   (DATABASE_URL=postgres://... to use a server instead)
 */
import type { AppProcess } from '../test/support/app-process.js';
import { runBench } from '../test/support/cleanup.js';
import { setPaused } from './lib/api.js';
import { Report } from './lib/report.js';
import { RssSampler } from './lib/rss-sampler.js';
import { withSingleApp } from './lib/setup.js';
import { hkNumbers, median, nowMs, round } from './lib/util.js';

const COUNT = Number(process.env.BENCH_PERSONALISED ?? 100_000);
const RUNS = Number(process.env.BENCH_PERSONALISED_RUNS ?? 3);
const RATIO_TARGET = 3;
const TEMPLATE = 'Dear {{name}}, your appointment is on {{date}}.';
const PLAIN = 'Dear Chan Tai Man, your appointment is on 3 Dec.';

let nextNumber = 0;
function freshNumbers(n: number): string[] {
  const phones = hkNumbers(nextNumber, n);
  nextNumber += n;
  return phones;
}

interface Timed {
  id: number;
  ms: number;
  mb: number;
}

/** POST /api/sms/send-bulk of an already serialised body; throws unless 202 with `n` queued. */
async function submit(app: AppProcess, body: string, n: number, what: string): Promise<Timed> {
  const started = nowMs();
  const res = await app.api<{ data: { id: number; total: number } }>(
    'POST',
    '/api/sms/send-bulk',
    body,
  );
  const ms = nowMs() - started;
  if (res.status !== 202 || res.body.data.total !== n) {
    throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 400)}`);
  }
  return { id: res.body.data.id, ms, mb: body.length / 1e6 };
}

const personalBody = (n: number) =>
  JSON.stringify({
    content: TEMPLATE,
    recipients: freshNumbers(n).map((phone, k) => ({
      phone,
      vars: { name: `Chan ${k}`, date: `${(k % 28) + 1} Dec` },
    })),
  });

const plainBody = (n: number) => JSON.stringify({ content: PLAIN, recipients: freshNumbers(n) });

async function main(): Promise<number> {
  if (!Number.isInteger(COUNT) || COUNT < 1_000) throw new Error(`BENCH_PERSONALISED=${COUNT}`);
  console.log(
    `personalised: send-bulk of ${COUNT} {phone, vars} recipients against ${COUNT} plain ones, ` +
      `${RUNS} runs each (medians); target: personalised ≤ ${RATIO_TARGET}× plain`,
  );
  const report = new Report('personalised');
  return withSingleApp(
    'personalised',
    (db, gw) => ({ DATABASE_URL: db.url, SMS_PROVIDER: 'http', SMS_BASE_URL: gw.url }),
    async ({ db, gw, client, app, stopApp }) => {
      await setPaused(app, true);
      const rss = new RssSampler(app.pid, 100).start();
      await submit(app, personalBody(1_000), 1_000, 'warm-up personalised');
      await submit(app, plainBody(1_000), 1_000, 'warm-up plain');
      const personal: Timed[] = [];
      const plain: Timed[] = [];
      for (let run = 1; run <= RUNS; run++) {
        const p = await submit(app, personalBody(COUNT), COUNT, 'personalised');
        const q = await submit(app, plainBody(COUNT), COUNT, 'plain');
        personal.push(p);
        plain.push(q);
        console.log(
          `  run ${run}/${RUNS}: personalised ${Math.round(p.ms)} ms (${round(p.mb, 1)} MB body), ` +
            `plain ${Math.round(q.ms)} ms (${round(q.mb, 1)} MB body)`,
        );
      }
      const mem = rss.stop();
      const personalMs = median(personal.map((r) => r.ms));
      const plainMs = median(plain.map((r) => r.ms));
      const ratio = personalMs / plainMs;
      report.check(`personalised bulk of ${COUNT}, median`, personalMs, 'ms');
      report.check(`plain bulk of ${COUNT}, median`, plainMs, 'ms');
      report.check('personalised rate', (COUNT / personalMs) * 1000, '/s');
      report.check('plain rate', (COUNT / plainMs) * 1000, '/s');
      report.check('app peak RSS (VmHWM)', mem.hwmMb ?? mem.maxMb, 'MB');
      report.check('personalised / plain', ratio, '×', `≤ ${RATIO_TARGET}`, ratio <= RATIO_TARGET);

      const { rows } = await client.query<{ own: number }>(
        `SELECT count(content)::int AS own FROM recipients WHERE message_id = ANY($1::int[])`,
        [personal.map((r) => r.id)],
      );
      if (rows[0].own !== COUNT * RUNS) {
        report.fail(
          `${rows[0].own} personalised recipients stored with their text, expected ${COUNT * RUNS}`,
        );
      }
      if (gw.requests.length) report.fail(`${gw.requests.length} SMS sent while paused`);
      const appExit = await stopApp();
      return report.finish(
        {
          database: db.server,
          count: COUNT,
          runs: RUNS,
          personalised_ms: personal.map((r) => Math.round(r.ms)),
          plain_ms: plain.map((r) => Math.round(r.ms)),
          app_exit_code: appExit,
        },
        () => app.dumpOutput('a check failed'),
      );
    },
  );
}

runBench(main);
