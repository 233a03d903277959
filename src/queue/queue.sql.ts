import type { RateUnit } from '../config/app-config.js';

/*
 * The queue's SQL rules, each written once and used wherever it applies (results, cancel,
 * claims, status, estimates, health).
 */

/** SMS of a job (`alias`, a messages row) not yet in a final state. */
export const remainingSql = (alias: string) =>
  `(${alias}.recipient_count - ${alias}.sent_count - ${alias}.failed_count - ${alias}.cancelled_count - ${alias}.expired_count - ${alias}.suppressed_count)`;

/**
 * `sms`, an SQL count of SMS of a job (`alias`, a messages row), in tokens of the rate limit:
 * one per SMS, or one per segment with SMS_RATE_UNIT=segment (estimates count what the
 * bucket pays for).
 */
export const inTokensSql = (sms: string, alias: string, unit: RateUnit) =>
  unit === 'segment' ? `(${sms}) * ${alias}.segments` : sms;

/** True while the queue is paused cluster-wide. */
export const PAUSED_SQL = `coalesce((SELECT value = 'true' FROM app_settings WHERE key = 'queue_paused'), false)`;

/** Worker processes whose lease is alive. */
export const LIVE_WORKERS_SQL = `(SELECT count(*)::int FROM workers WHERE expires_at > clock_timestamp())`;

/** SQL expressions for the recipients of a job that just reached each final state. */
export interface NewlyFinal {
  sent?: string;
  failed?: string;
  cancelled?: string;
  expired?: string;
  suppressed?: string;
}

/**
 * The one rule for a job's counters, status and completion time, as SQL SET assignments for
 * `UPDATE messages <alias>`. A job is finished when every recipient is final; a cancelled job
 * stays 'cancelled' (the cancel answer already said so), even if requests that were on the
 * wire at the cancel then succeed. SCHEDULING.md: none sent and all expired is 'expired'; none
 * sent and some failed is 'failed'; some sent and the rest failed or expired is 'partial'.
 * CONTENT.md: suppressed SMS are final but no error, so they leave a job 'completed'.
 */
export function jobCountersSql(alias: string, n: NewlyFinal) {
  const m = alias;
  const sent = n.sent ?? '0';
  const failed = n.failed ?? '0';
  const cancelled = n.cancelled ?? '0';
  const expired = n.expired ?? '0';
  const suppressed = n.suppressed ?? '0';
  const done = `${m}.sent_count + ${sent} + ${m}.failed_count + ${failed} + ${m}.cancelled_count + ${cancelled} + ${m}.expired_count + ${expired} + ${m}.suppressed_count + ${suppressed} >= ${m}.recipient_count`;
  return `
    sent_count = ${m}.sent_count + ${sent},
    failed_count = ${m}.failed_count + ${failed},
    cancelled_count = ${m}.cancelled_count + ${cancelled},
    expired_count = ${m}.expired_count + ${expired},
    suppressed_count = ${m}.suppressed_count + ${suppressed},
    job_status = CASE
      WHEN ${m}.job_status = 'cancelled' OR ${m}.cancelled_count + ${cancelled} > 0 AND ${done} THEN 'cancelled'
      WHEN NOT (${done}) THEN ${m}.job_status
      WHEN ${m}.failed_count + ${failed} + ${m}.expired_count + ${expired} = 0 THEN 'completed'
      WHEN ${m}.sent_count + ${sent} > 0 THEN 'partial'
      WHEN ${m}.failed_count + ${failed} = 0 THEN 'expired'
      ELSE 'failed' END,
    completed_at = CASE WHEN ${done} THEN clock_timestamp() ELSE ${m}.completed_at END`;
}

/**
 * How many SMS a user who had nothing waiting may send at the full rate before interleaving
 * with the backlogged users: a login code that comes right after another one need not wait
 * for its user's share of the rate (bench/fairness "otp": random arrivals bunch up, and at
 * 2/s beside one bulk a user's share is one SMS a second). Bounded by the precision
 * FAIRNESS.md promises (2 SMS + 2 % in any window in which both users were backlogged): a
 * backlogged user's tags never fall this far behind, so the credit only serves a user coming
 * back from idle, once.
 */
export const IDLE_CREDIT_SMS = 2;

/** CTEs `step` (one SMS's step for the user) and `clock` (where the user may start in the lane). */
const stepAndClockCte = (p: { lane: string; userId: string; cost: string }) => `
  step AS (
    SELECT ${p.cost}::float8 / coalesce((SELECT weight FROM users WHERE id = ${p.userId}), 1) AS s
  ), clock AS (
    -- A user may start up to IDLE_CREDIT_SMS of their own steps behind the lane's clock.
    SELECT vtime - ${IDLE_CREDIT_SMS} * (SELECT s FROM step) AS vtime
    FROM lane_clocks WHERE lane = ${p.lane}
  )`;

/**
 * The fair-tag rule (see the FairShareTags migration) as CTEs `step` and `tagged`, for a
 * statement that queues `count` SMS of one job: the user's SMS in this lane continue from
 * where their last tag ended, or from the lane's clock if that is later, one step of
 * cost / weight each; the SMS at ordinal k (1-based) gets `fairTagSql('k')`. The user's lane
 * row is locked until commit, so the same user's jobs are tagged one after the other.
 * Arguments are SQL expressions (parameters). Used when a job is submitted and when a
 * scheduled job's held SMS are released: both join the lane as if submitted at that moment.
 */
export const fairTagsCte = (p: { lane: string; userId: string; cost: string; count: string }) => `
  ${stepAndClockCte(p)}, span AS (
    SELECT ${p.count} * (SELECT s FROM step) AS width
  ), tagged AS (
    INSERT INTO user_lanes AS ul (user_id, lane, last_tag)
    VALUES (${p.userId}, ${p.lane}, (SELECT vtime FROM clock) + (SELECT width FROM span))
    ON CONFLICT (user_id, lane) DO UPDATE
      SET last_tag = greatest(ul.last_tag, (SELECT vtime FROM clock)) + (SELECT width FROM span)
    RETURNING last_tag - (SELECT width FROM span) AS start
  )`;

/**
 * The start tag and step fairTagsCte would give a job of the user's queued now, read without
 * writing or locking anything: a CSV upload tags its rows with them while the body streams,
 * and fairTagsCte at its commit says whether the lane moved on meanwhile.
 */
export const provisionalTagsSql = (p: { lane: string; userId: string; cost: string }) => `
  WITH ${stepAndClockCte(p)}
  SELECT greatest(
    (SELECT last_tag FROM user_lanes WHERE user_id = ${p.userId} AND lane = ${p.lane}),
    (SELECT vtime FROM clock)
  ) AS start, (SELECT s FROM step) AS step`;

/**
 * The tag of the SMS at `ordinal` (an SQL expression, 1-based), in a statement with
 * fairTagsCte: its start tag, where the user's step before it ended (start-time fair
 * queueing orders by start tags). A user with nothing waiting who sends one SMS gets the lane's
 * clock as its tag, before the next SMS of every backlogged user; with finish tags it tied
 * with them and waited a turn (bench/fairness: a single SMS beside a bulk).
 */
export const fairTagSql = (ordinal: string) =>
  `(SELECT start FROM tagged) + (${ordinal} - 1) * (SELECT s FROM step)`;

/**
 * The state an unsent SMS of `alias` (a recipients row) goes back to: 'held' while its job's
 * SMS are held (outside its send window), else 'pending'.
 */
export const waitingStatusSql = (alias: string) =>
  `CASE WHEN (SELECT resume_at FROM messages m WHERE m.id = ${alias}.message_id) IS NULL THEN 'pending' ELSE 'held' END`;
