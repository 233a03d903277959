/**
 * What a request costs the app, layer by layer (diagnostic, not in `npm run bench`): the
 * submissions target (bench/submissions.ts) is bounded by the CPU each request takes on a
 * machine the app shares with PostgreSQL and its clients, so this shows how much of that is
 * the HTTP stack before any work.
 *
 * The real app (dist/src/main.js, one process) with the queue paused and 100 users; then,
 * for each kind of request, 16 keep-alive clients for BENCH_COST_SECONDS (default 10) after
 * 500 warm-up requests: `GET /api/health/live` (no authentication, no database),
 * `GET /api/auth/me` (API token, from the token cache), `POST /api/sms` with an invalid
 * number (authentication, parsing, validation, the error envelope; nothing written), and a
 * valid `POST /api/sms` (queued and estimated). Printed per kind: requests per second, the
 * app's CPU time per request (user + system, all its threads) and PostgreSQL's when it runs
 * on this machine. Checked only that every answer had the expected status. Figures vary
 * ±20 % between runs on these shared cores: compare kinds within one run.
 *
 * Run: npm run bench:request-cost   (DATABASE_URL=postgres://... to use a server instead)
 * BENCH_COST_KINDS=live,me picks kinds.
 */
import { runBench } from '../test/support/cleanup.js';
import { createUsers, setPaused } from './lib/api.js';
import { KeepAliveClient, type TimedAnswer } from './lib/http-timing.js';
import { postmasterPid, processCpuMs, treeCpuDeltaMs, treeCpuMs } from './lib/proc-cpu.js';
import { Report } from './lib/report.js';
import { withSingleApp } from './lib/setup.js';
import { hkNumbers, nowMs, round } from './lib/util.js';

const CLIENTS = 16;
const USERS = 100;
const WARM_UP = 500;
const SECONDS = Number(process.env.BENCH_COST_SECONDS ?? 10);
/** Distinct numbers for the valid sends (a million: more than any run gets through). */
const numbers = hkNumbers(0, 1_000_000);

interface Kind {
  name: string;
  status: number;
  call: (http: KeepAliveClient, token: string, k: number) => Promise<TimedAnswer>;
}

const KINDS: Kind[] = [
  { name: 'live', status: 200, call: (http) => http.get('/api/health/live') },
  { name: 'me', status: 200, call: (http, token) => http.get('/api/auth/me', token) },
  {
    name: 'invalid-sms',
    status: 400,
    call: (http, token) =>
      http.request('POST', '/api/sms', token, { recipient: 'not a number', content: 'x' }),
  },
  {
    name: 'sms',
    status: 202,
    call: (http, token, k) =>
      http.request('POST', '/api/sms', token, { recipient: numbers[k], content: `cost ${k}` }),
  },
];
async function main(): Promise<number> {
  const wanted = (process.env.BENCH_COST_KINDS ?? KINDS.map((k) => k.name).join(',')).split(',');
  const kinds = KINDS.filter((k) => wanted.includes(k.name));
  if (kinds.length === 0) throw new Error(`BENCH_COST_KINDS=${wanted.join(',')}: none known`);
  console.log(
    `request-cost: ${kinds.map((k) => k.name).join(', ')}; ${CLIENTS} keep-alive clients, ` +
      `${SECONDS} s each after ${WARM_UP} warm-up requests`,
  );
  const report = new Report('request-cost');
  return withSingleApp(
    'requestcost',
    (db, gw) => ({ DATABASE_URL: db.url, SMS_PROVIDER: 'http', SMS_BASE_URL: gw.url }),
    async ({ db, app, stopApp }) => {
      await setPaused(app, true);
      const users = await createUsers(app, 'costuser', USERS);
      const pgPid = await postmasterPid(db.url);
      const http = new KeepAliveClient(app.baseUrl, CLIENTS);
      let k = 0;
      try {
        for (const kind of kinds) {
          const call = () => {
            const n = k++;
            return kind.call(http, users[n % USERS].token, n);
          };
          for (let i = 0; i < WARM_UP; i++) await call();
          const appBefore = processCpuMs(app.pid);
          const pgBefore = pgPid ? treeCpuMs(pgPid) : null;
          const started = nowMs();
          let done = 0;
          const wrong = new Map<number, number>();
          await Promise.all(
            Array.from({ length: CLIENTS }, async () => {
              while (nowMs() - started < SECONDS * 1000) {
                const r = await call();
                done++;
                if (r.status !== kind.status) wrong.set(r.status, (wrong.get(r.status) ?? 0) + 1);
              }
            }),
          );
          const ms = nowMs() - started;
          const appMs = processCpuMs(app.pid);
          const appUs =
            appMs === null || appBefore === null ? null : ((appMs - appBefore) * 1000) / done;
          const pgUs =
            pgPid && pgBefore ? (treeCpuDeltaMs(pgBefore, treeCpuMs(pgPid)) * 1000) / done : null;
          console.log(
            `${kind.name}: ${round((done * 1000) / ms, 0)}/s; CPU a request: app ` +
              `${appUs === null ? '?' : round(appUs, 0)} µs, PostgreSQL ${pgUs === null ? '?' : round(pgUs, 0)} µs`,
          );
          report.check(`${kind.name}: requests`, (done * 1000) / ms, '/s');
          report.check(`${kind.name}: app CPU a request`, appUs, 'µs');
          report.check(`${kind.name}: PostgreSQL CPU a request`, pgUs, 'µs');
          if (wrong.size)
            report.fail(
              `${kind.name}: answers other than ${kind.status}: ${JSON.stringify([...wrong])}`,
            );
        }
      } finally {
        http.close();
      }
      await stopApp();
      return report.finish({ database: db.server, clients: CLIENTS, seconds: SECONDS });
    },
  );
}

runBench(main);
