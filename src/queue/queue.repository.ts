import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface ClaimedRecipient {
  id: string;
  messageId: number;
  phone: string;
  /** Including the attempt this claim starts. */
  attempts: number;
  content: string;
}

export type Outcome = 'sent' | 'failed' | 'retry';

export interface SendResult {
  id: string;
  outcome: Outcome;
  error: string | null;
  response: string | null;
  /** For 'retry': how long to wait before the next attempt. */
  retryInMs: number;
}

/*
 * Claim in queue order (adhoc first, oldest job first, recipients in the order given) and
 * lease in one statement, nothing while the queue is paused (checked once per statement, in
 * the same round trip); SKIP LOCKED lets any number of workers claim side by side. The
 * first claim of a job moves it to 'sending'. The batch size is written into the SQL text
 * (not a parameter) so PostgreSQL never switches to a generic plan that scans the table.
 * The locked rows are updated by ctid, which no one else can change while the lock is held:
 * no index lookup per row. `ctid = ANY (array)` is always a TID scan; a join on ctid became a
 * scan of the whole table from about 3 000 rows a claim.
 */
export const claimSql = (n: number) => `
  WITH picked AS (
    SELECT ctid FROM recipients
    WHERE status = 'pending' AND next_attempt_at <= clock_timestamp()
      AND NOT EXISTS (SELECT FROM app_settings WHERE key = 'queue_paused' AND value = 'true')
    ORDER BY priority, message_id, ordinal
    LIMIT ${n}
    FOR UPDATE SKIP LOCKED
  ), claimed AS (
    UPDATE recipients r SET status = 'sending', attempts = r.attempts + 1, lease_owner = $1,
      lease_expires_at = clock_timestamp() + $2 * interval '1 millisecond', updated_at = clock_timestamp()
    WHERE r.ctid = ANY (ARRAY(SELECT ctid FROM picked))
    RETURNING r.id, r.message_id, r.phone, r.attempts, r.priority, r.ordinal
  ), started AS (
    UPDATE messages m SET job_status = 'sending', started_at = clock_timestamp()
    WHERE m.id IN (SELECT message_id FROM claimed) AND m.job_status = 'pending'
  )
  SELECT c.id::text AS id, c.message_id, c.phone, c.attempts, m.content
  FROM claimed c JOIN messages m ON m.id = c.message_id
  ORDER BY c.priority, c.message_id, c.ordinal`;

/*
 * Records a batch of results, the per-second request counts, and the jobs' counters and
 * status in one statement. Only
 * rows still leased to this worker are touched: a result that arrives after its lease was
 * taken over is dropped (the new holder sends and records it).
 */
const RECORD_SQL = `
  WITH results AS (
    SELECT * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::int[])
      AS t(id, outcome, error, response, retry_in_ms)
  ), stats AS (
    INSERT INTO send_stats AS s (second, requests, sent, failed, retried)
    SELECT date_trunc('second', clock_timestamp()), count(*),
      count(*) FILTER (WHERE outcome = 'sent'), count(*) FILTER (WHERE outcome = 'failed'),
      count(*) FILTER (WHERE outcome = 'retry')
    FROM results
    ON CONFLICT (second) DO UPDATE SET requests = s.requests + EXCLUDED.requests,
      sent = s.sent + EXCLUDED.sent, failed = s.failed + EXCLUDED.failed, retried = s.retried + EXCLUDED.retried
  ), upd AS (
    UPDATE recipients r SET
      status = CASE res.outcome WHEN 'retry' THEN 'pending' ELSE res.outcome END,
      error_message = res.error,
      gateway_response = res.response,
      sent_at = CASE WHEN res.outcome = 'sent' THEN clock_timestamp() ELSE r.sent_at END,
      next_attempt_at = CASE WHEN res.outcome = 'retry'
        THEN clock_timestamp() + res.retry_in_ms * interval '1 millisecond' ELSE r.next_attempt_at END,
      lease_owner = NULL, lease_expires_at = NULL, updated_at = clock_timestamp()
    FROM results res
    WHERE r.id = res.id AND r.status = 'sending' AND r.lease_owner = $1
    RETURNING r.message_id, r.status
  ), counts AS (
    SELECT message_id,
      count(*) FILTER (WHERE status = 'sent')::int AS sent,
      count(*) FILTER (WHERE status = 'failed')::int AS failed
    FROM upd GROUP BY message_id
  )
  UPDATE messages m SET
    sent_count = m.sent_count + c.sent,
    failed_count = m.failed_count + c.failed,
    last_sent_at = CASE WHEN c.sent > 0 THEN clock_timestamp() ELSE m.last_sent_at END,
    job_status = CASE
      WHEN m.sent_count + c.sent + m.failed_count + c.failed + m.cancelled_count < m.recipient_count THEN m.job_status
      WHEN m.cancelled_count > 0 THEN 'cancelled'
      WHEN m.failed_count + c.failed = 0 THEN 'completed'
      WHEN m.sent_count + c.sent = 0 THEN 'failed'
      ELSE 'partial' END,
    completed_at = CASE
      WHEN m.sent_count + c.sent + m.failed_count + c.failed + m.cancelled_count >= m.recipient_count
      THEN clock_timestamp() ELSE m.completed_at END
  FROM counts c WHERE m.id = c.message_id`;

const DEADLOCK = '40P01';

/*
 * Array parameters written as PostgreSQL array literals here rather than by the driver, which
 * runs two regular expressions over every element: at tens of thousands of results a second
 * that was the worker's largest single cost after garbage collection.
 */
/** For values that never need quoting: digits, and the outcome words. */
const plainArray = (values: readonly (string | number)[]) => `{${values.join(',')}}`;
/** For any text: quoted, with `"` and `\` escaped; null becomes NULL. */
const textArray = (values: readonly (string | null)[]) =>
  `{${values.map((v) => (v === null ? 'NULL' : `"${v.replace(/["\\]/g, '\\$&')}"`)).join(',')}}`;

function pgCode(err: unknown): string | undefined {
  const e = err as { code?: string; driverError?: { code?: string } };
  return e.driverError?.code ?? e.code;
}

@Injectable()
export class QueueRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async claim(owner: string, n: number, leaseMs: number): Promise<ClaimedRecipient[]> {
    if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new RangeError(`claim size ${n}`);
    const rows = await this.dataSource.query(claimSql(n), [owner, leaseMs]);
    return rows.map(
      (r: {
        id: string;
        message_id: number;
        phone: string;
        attempts: number;
        content: string;
      }) => ({
        id: r.id,
        messageId: r.message_id,
        phone: r.phone,
        attempts: r.attempts,
        content: r.content,
      }),
    );
  }

  async record(owner: string, results: SendResult[]): Promise<void> {
    const params = [
      owner,
      plainArray(results.map((r) => r.id)),
      plainArray(results.map((r) => r.outcome)),
      textArray(results.map((r) => r.error)),
      textArray(results.map((r) => r.response)),
      plainArray(results.map((r) => r.retryInMs)),
    ];
    // Two workers finishing recipients of the same jobs may lock message rows in opposite
    // order; PostgreSQL aborts one of them, which simply tries again.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.dataSource.query(RECORD_SQL, params);
        return;
      } catch (err) {
        if (pgCode(err) !== DEADLOCK || attempt >= 5) throw err;
      }
    }
  }

  /**
   * Puts this worker's claimed but unsent recipients back in the queue; the claim counted an
   * attempt that was never made, so it is taken back.
   */
  async release(owner: string, ids?: string[]): Promise<number> {
    const [, count] = await this.dataSource.query(
      `UPDATE recipients SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL,
         attempts = greatest(attempts - 1, 0), updated_at = clock_timestamp()
       WHERE status = 'sending' AND lease_owner = $1 AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[]))`,
      [owner, ids ?? null],
    );
    return count;
  }

  /** Work whose holder died: its lease ran out, so it goes back to the queue. */
  async reclaimExpired(): Promise<number> {
    const [, count] = await this.dataSource.query(
      `UPDATE recipients SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL,
         updated_at = clock_timestamp()
       WHERE status = 'sending' AND lease_expires_at < clock_timestamp()`,
    );
    return count;
  }

  /** Milliseconds until the earliest waiting retry is due (null: none waiting). */
  async msUntilNextDue(): Promise<number | null> {
    const [row] = await this.dataSource.query(
      // Compared before subtracting: '-infinity' minus a time is an error before PostgreSQL 16.
      `SELECT CASE WHEN due IS NULL THEN NULL WHEN due <= now THEN 0
                   ELSE EXTRACT(EPOCH FROM due - now) * 1000 END AS ms
       FROM (SELECT min(next_attempt_at) AS due, clock_timestamp() AS now
             FROM recipients WHERE status = 'pending') d`,
    );
    return row.ms === null ? null : Math.max(0, Number(row.ms));
  }
}
