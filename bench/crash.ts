/**
 * Crash recovery (spec/QUEUE.md, "Durability"): a `kill -9` in the middle of a job loses
 * nothing, and re-sends at most the requests that were in flight.
 *
 * The real app (dist/src/main.js) sends one bulk job of 300 distinct numbers at 40/s (burst 40)
 * with QUEUE_CONCURRENCY 4 and QUEUE_LEASE_MS 3000 to a fake gateway that answers 200 after
 * ~20 ms. Once ~80 requests have reached the gateway the app gets SIGKILL. Before anything
 * else touches the database, the bench reads which recipients were still `sending` (leased
 * to the dead process): those the gateway had received are the requests in flight at the
 * kill (received, result not committed). A second app is then started on the same database
 * and must finish the job by itself. Checks:
 * - every recipient reached the gateway at least once, and no unknown number did;
 * - duplicates (numbers seen more than once) <= the requests in flight at the kill, and every
 *   duplicated number is one of them (seen at most twice);
 * - the job ends `completed`, sent_count = 300, every recipient row `sent`, no lease left.
 * Prints the duplicates, the in-flight count and the recovery times (restart → first new
 * gateway request, restart → the in-flight ones re-sent, restart → job completed).
 * Exit code 1 when any check fails. About 15 s.
 *
 * Run: npm run bench:crash   (DATABASE_URL=postgres://... to use a server instead of embedded)
 */
import type pg from 'pg';
import { runBench } from '../test/support/cleanup.js';
import { checkBound } from '../test/support/rate-check.js';
import { deliveries, FINAL_STATUSES, submitBulk, timesText } from './lib/api.js';
import { Report } from './lib/report.js';
import { withBench } from './lib/setup.js';
import { hkNumbers, nowMs, round, sleep } from './lib/util.js';

const N = 300;
const RATE = 40;
const BURST = 40;
const CONCURRENCY = 4;
const LEASE_MS = 3_000;
const GATEWAY_DELAY_MS = 20;
const KILL_AFTER = 80;
/** After the kill: a statement the dead process had sent may still commit; let it. */
const SETTLE_MS = 500;
/** Lease expiry + the rest of the job at the configured rate, with generous room. */
const RECOVERY_TIMEOUT_MS = LEASE_MS + ((N - KILL_AFTER) / RATE) * 1000 * 2 + 20_000;
const PROGRESS_EVERY_MS = 1_000;

interface RecipientRow {
  phone: string;
  status: string;
  attempts: number;
  lease_owner: string | null;
}

interface MessageRow {
  job_status: string;
  recipient_count: number;
  sent_count: number;
  failed_count: number;
  cancelled_count: number;
  completed_at: Date | null;
}

async function recipients(client: pg.Client, id: number): Promise<RecipientRow[]> {
  const res = await client.query<RecipientRow>(
    `SELECT phone, status, attempts, lease_owner FROM recipients WHERE message_id = $1 ORDER BY ordinal`,
    [id],
  );
  return res.rows;
}

async function message(client: pg.Client, id: number): Promise<MessageRow> {
  const res = await client.query<MessageRow>(
    `SELECT job_status, recipient_count, sent_count, failed_count, cancelled_count, completed_at
     FROM messages WHERE id = $1`,
    [id],
  );
  if (res.rowCount !== 1) throw new Error(`message ${id} not found`);
  return res.rows[0];
}

const countBy = (rows: RecipientRow[]) =>
  rows.reduce<Record<string, number>>(
    (acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }),
    {},
  );

async function main(): Promise<number> {
  console.log(
    `crash: ${N} SMS in one bulk job at ${RATE}/s (burst ${BURST}), QUEUE_CONCURRENCY=${CONCURRENCY}, ` +
      `QUEUE_LEASE_MS=${LEASE_MS}, gateway answers after ${GATEWAY_DELAY_MS} ms; ` +
      `SIGKILL after ${KILL_AFTER} gateway requests, then a restart on the same database`,
  );
  const report = new Report('crash');
  const answer = { status: 200, body: 'OK', delayMs: GATEWAY_DELAY_MS };
  return withBench('crash', answer, async ({ db, gw, client, start }) => {
    const env = {
      DATABASE_URL: db.url,
      SMS_PROVIDER: 'http',
      SMS_BASE_URL: gw.url,
      SMS_RATE_PER_SEC: String(RATE),
      SMS_BURST_CAPACITY: String(BURST),
      QUEUE_CONCURRENCY: String(CONCURRENCY),
      QUEUE_LEASE_MS: String(LEASE_MS),
      SMS_MAX_ATTEMPTS: '5',
    };
    const first = await start(env, { label: 'first' });
    await first.token();

    // ---- Phase 1: send, then SIGKILL in the middle.
    const numbers = hkNumbers(0, N);
    const job = await submitBulk(first, numbers, 'smspanel crash bench');
    const submitted = job.submittedAt;
    console.log(`job ${job.id} accepted: total ${job.total}`);

    // The waiter resolves in the same turn as the KILL_AFTER-th arrival: kill at once.
    await gw.waitForRequests(KILL_AFTER, 60_000);
    first.kill('SIGKILL');
    const killedAt = nowMs();
    const seenAtKill = gw.requests.length;
    // Answered by the gateway before the kill (it answers GATEWAY_DELAY_MS after arrival).
    const unansweredAtKill = gw.requests.filter((r) => r.at + GATEWAY_DELAY_MS > killedAt).length;
    console.log(
      `SIGKILL after ${round((killedAt - submitted) / 1000, 2)} s: the gateway had received ` +
        `${seenAtKill} requests, ${unansweredAtKill} of them not yet answered (by its ${GATEWAY_DELAY_MS} ms delay)`,
    );
    const firstExit = await first.exited;
    await sleep(SETTLE_MS);

    // ---- What the dead process left behind, before anyone else touches the database.
    const firstRun = gw.requests.slice();
    const receivedFirst = new Set(firstRun.map((r) => r.to));
    const atKill = await recipients(client, job.id);
    const leased = atKill.filter((r) => r.status === 'sending');
    const inFlight = leased.filter((r) => receivedFirst.has(r.phone)).map((r) => r.phone);
    const inFlightSet = new Set(inFlight);
    const leasedUnsent = leased.length - inFlight.length;
    const committedBeforeKill = atKill.filter((r) => r.status === 'sent').length;
    const lostAnswers = [...receivedFirst].filter(
      (p) => !inFlightSet.has(p) && atKill.find((r) => r.phone === p)?.status !== 'sent',
    );
    console.log(
      `after the kill (exit ${firstExit ?? 'by signal'}): ${firstRun.length} requests received, ` +
        `${committedBeforeKill} results committed, ${leased.length} recipients leased to the dead process ` +
        `(${inFlight.length} in flight: received but not committed; ${leasedUnsent} claimed, never sent); ` +
        `statuses ${JSON.stringify(countBy(atKill))}`,
    );
    if (lostAnswers.length) {
      report.fail(
        `received by the gateway but neither sent nor leased after the kill: ${lostAnswers.join(', ')}`,
      );
    }

    // ---- Phase 2: restart on the same database and wait for the job to finish.
    const restartAt = nowMs();
    const second = await start(env, { label: 'second' });
    const readyAt = nowMs();
    let detail = await message(client, job.id);
    let lastProgress = nowMs();
    while (!FINAL_STATUSES.includes(detail.job_status)) {
      if (nowMs() - restartAt > RECOVERY_TIMEOUT_MS) {
        throw new Error(
          `job ${job.id} not finished ${round(RECOVERY_TIMEOUT_MS / 1000, 1)} s after the restart ` +
            `(${detail.job_status}, sent ${detail.sent_count}/${N}, gateway ${gw.requests.length})`,
        );
      }
      if (nowMs() - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = nowMs();
        console.log(
          `after restart ${round((nowMs() - restartAt) / 1000, 1)} s: job ${detail.job_status}, ` +
            `sent ${detail.sent_count}/${N}, gateway requests ${gw.requests.length}`,
        );
      }
      await sleep(50);
      detail = await message(client, job.id);
    }
    const finishedSeenAt = nowMs();
    // Nothing more may arrive (no stray re-sends).
    await sleep(1_000);

    // ---- Figures.
    const secondRun = gw.requests.slice(firstRun.length);
    const firstNew = secondRun[0]?.at;
    const resentInFlight = secondRun.filter((r) => inFlightSet.has(r.to)).map((r) => r.at);
    const completedAt = detail.completed_at ? detail.completed_at.getTime() : finishedSeenAt;
    const {
      perNumber,
      missing,
      repeated: duplicated,
      strangers,
    } = deliveries(gw.requests, numbers);
    const extraRequests = gw.requests.length - perNumber.size;
    const notInFlight = duplicated.filter(([n]) => !inFlightSet.has(n));
    const more = duplicated.filter(([, c]) => c > 2);
    const final = await recipients(client, job.id);
    const notSent = final.filter((r) => r.status !== 'sent');
    const stillLeased = final.filter((r) => r.lease_owner !== null);
    const recovery = {
      ready_ms: round(readyAt - restartAt, 0),
      first_request_ms: firstNew === undefined ? null : round(firstNew - restartAt, 0),
      in_flight_resent_ms: resentInFlight.length
        ? round(Math.max(...resentInFlight) - restartAt, 0)
        : null,
      completed_ms: round(completedAt - restartAt, 0),
    };

    console.log(
      `\ngateway: ${gw.requests.length} requests for ${perNumber.size} numbers ` +
        `(${firstRun.length} before the kill, ${secondRun.length} after the restart)`,
    );
    console.log(
      `duplicates: ${duplicated.length} number(s) sent more than once (${extraRequests} extra request(s))` +
        (duplicated.length ? `: ${timesText(duplicated)}` : '') +
        `; in flight at the kill: ${inFlight.length} (the app holds at most ${CONCURRENCY} requests in flight; ` +
        `${unansweredAtKill} unanswered by the gateway at the kill)`,
    );
    console.log(
      `recovery after the restart: ready ${recovery.ready_ms} ms, first new gateway request ` +
        `${recovery.first_request_ms ?? '-'} ms, in-flight ones re-sent by ${recovery.in_flight_resent_ms ?? '-'} ms ` +
        `(lease ${LEASE_MS} ms), job completed ${recovery.completed_ms} ms`,
    );
    console.log(
      `job ${job.id}: ${detail.job_status}, recipients ${detail.recipient_count}, sent ${detail.sent_count}, ` +
        `failed ${detail.failed_count}, cancelled ${detail.cancelled_count}; rows ${JSON.stringify(countBy(final))}`,
    );

    if (missing.length) report.fail(`never reached the gateway: ${missing.join(', ')}`);
    if (strangers.length) report.fail(`unexpected numbers: ${strangers.join(', ')}`);
    if (duplicated.length > inFlight.length) {
      report.fail(
        `${duplicated.length} duplicated numbers > ${inFlight.length} requests in flight at the kill`,
      );
    }
    if (notInFlight.length) {
      report.fail(`re-sent although not in flight at the kill: ${timesText(notInFlight)}`);
    }
    if (more.length) report.fail(`sent more than twice: ${timesText(more)}`);
    if (detail.job_status !== 'completed')
      report.fail(`job ended '${detail.job_status}', expected 'completed'`);
    if (
      detail.recipient_count !== N ||
      detail.sent_count !== N ||
      detail.failed_count !== 0 ||
      detail.cancelled_count !== 0
    ) {
      report.fail(
        `job counts: recipients ${detail.recipient_count}, sent ${detail.sent_count}, failed ${detail.failed_count}, ` +
          `cancelled ${detail.cancelled_count} (expected ${N} sent of ${N})`,
      );
    }
    if (final.length !== N || notSent.length) {
      report.fail(
        `recipient rows: ${final.length}, not 'sent': ${notSent.map((r) => `${r.phone}=${r.status}`).join(', ')}`,
      );
    }
    if (stillLeased.length) report.fail(`${stillLeased.length} recipient(s) still leased`);
    if (firstNew === undefined) report.fail('the restarted app sent nothing');
    // Every request, re-sent ones included, is paid for from the bucket both processes share.
    const bound = checkBound(
      gw.requests.map((r) => r.at),
      RATE,
      BURST,
      report.failures,
    );

    const secondExit = await second.stop();
    if (secondExit !== 0)
      report.fail(`the second app exited with code ${secondExit} after SIGTERM`);

    report.add(
      {
        name: 'numbers sent twice',
        value: duplicated.length,
        target: `≤ ${inFlight.length} (in flight at the kill)`,
        ok: duplicated.length <= inFlight.length,
      },
      { name: 'restart to job completed', value: recovery.completed_ms, unit: 'ms' },
      bound,
    );
    return report.finish(
      {
        database: db.server,
        killed_after_requests: seenAtKill,
        in_flight_at_kill: inFlight.length,
        unanswered_at_kill: unansweredAtKill,
        leased_unsent_at_kill: leasedUnsent,
        committed_before_kill: committedBeforeKill,
        extra_requests: extraRequests,
        recovery,
      },
      () => {
        first.dumpOutput('a check failed');
        second.dumpOutput('a check failed');
      },
    );
  });
}

runBench(main);
