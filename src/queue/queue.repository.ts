import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type SendWindow, windowOfRow } from '../scheduling/send-window.js';
import { ClaimConnections } from './claim-connections.js';
import { DataSource } from 'typeorm';
import { RECIPIENT_EVENT_COLUMNS, recipientEventsSql } from '../webhooks/webhook-events.sql.js';
import { jobCountersSql, LIVE_WORKERS_SQL, PAUSED_SQL, waitingStatusSql } from './queue.sql.js';

export interface ClaimedRecipient {
  id: string;
  messageId: number;
  phone: string;
  /** Including the attempt this claim starts. */
  attempts: number;
  content: string;
  /** Of its message: the tokens it costs with SMS_RATE_UNIT=segment. */
  segments: number;
  /** Its job was cancelled: it is recorded as cancelled, never sent. */
  cancelled: boolean;
  /** Its number was put on the suppression list while it waited: recorded suppressed, never sent. */
  suppressed: boolean;
  /** Epoch ms after which no request may start for it (SCHEDULING.md validity); null: none. */
  validUntil: number | null;
  /** Its job's daily send window; null: always. */
  window: SendWindow | null;
}

/** What a gateway request ended in. */
export type Outcome = 'sent' | 'failed' | 'retry';

export interface SendResult {
  id: string;
  /**
   * 'cancelled': claimed, never requested, and its job was cancelled; 'expired': never
   * requested, or a retry that would come after, its job's valid_until; 'suppressed': claimed,
   * never requested, its number on the suppression list.
   */
  outcome: Outcome | 'cancelled' | 'expired' | 'suppressed';
  error: string | null;
  response: string | null;
  /** For 'retry': how long to wait before the next attempt. */
  retryInMs: number;
  /** For 'sent': the gateway's id of the SMS, if it named one (delivery receipts). */
  gatewayMessageId?: string | null;
}

/*
 * Claim in the fair order (urgent lane first, then by virtual tag: users interleave by
 * weight, each user's jobs oldest first and recipients in the order given; see the
 * FairShareTags migration) and lease in one statement, nothing while the queue is paused (checked once per statement, in
 * the same round trip); SKIP LOCKED lets any number of workers claim side by side. The
 * first claim of a job moves it to 'sending'. The batch size is written into the SQL text
 * (not a parameter) so PostgreSQL never switches to a generic plan that scans the table.
 * The locked rows are updated by ctid, which no one else can change while the lock is held:
 * no index lookup per row. `ctid = ANY (array)` is always a TID scan; a join on ctid became a
 * scan of the whole table from about 3 000 rows a claim. Each SMS taken is checked against
 * the suppression list (CONTENT.md: a number suppressed while its SMS waited is not sent), a
 * probe of the list's key, skipped altogether while the list is empty (the uncorrelated
 * EXISTS is evaluated once, and AND stops at it).
 */
export const claimSql = (n: number) => `
  WITH picked AS (
    SELECT ctid FROM recipients
    WHERE status = 'pending' AND next_attempt_at <= clock_timestamp()
      AND NOT ${PAUSED_SQL}
    ORDER BY priority, vtag
    LIMIT ${n}
    FOR UPDATE SKIP LOCKED
  ), claimed AS (
    UPDATE recipients r SET status = 'sending', attempts = r.attempts + 1, lease_owner = $1,
      lease_expires_at = clock_timestamp() + $2 * interval '1 millisecond', updated_at = clock_timestamp()
    WHERE r.ctid = ANY (ARRAY(SELECT ctid FROM picked))
    RETURNING r.id, r.message_id, r.phone, r.attempts, r.priority, r.vtag, r.content, r.segments
  ), clocked AS (
    -- The lane's virtual clock follows the largest tag taken: users who queue later start there.
    UPDATE lane_clocks lc SET vtime = c.top
    FROM (SELECT priority, max(vtag) AS top FROM claimed GROUP BY priority) c
    WHERE lc.lane = c.priority AND lc.vtime < c.top
  ), started AS (
    UPDATE messages m SET job_status = 'sending', started_at = clock_timestamp()
    WHERE m.id IN (SELECT message_id FROM claimed) AND m.job_status = 'pending'
  )
  SELECT c.id::text AS id, c.message_id, c.phone, c.attempts,
    -- A personalised recipient's own text (CONTENT.md); null: the job's.
    coalesce(c.content, m.content) AS content, coalesce(c.segments, m.segments) AS segments,
    m.job_status = 'cancelled' AS cancelled,
    (EXISTS (SELECT FROM suppressions) AND EXISTS (SELECT FROM suppressions s WHERE s.phone = c.phone)) AS suppressed,
    (extract(epoch FROM m.valid_until) * 1000)::float8 AS valid_until,
    m.window_start, m.window_end, m.window_tz
  FROM claimed c JOIN messages m ON m.id = c.message_id
  ORDER BY c.priority, c.vtag`;

/*
 * Records a batch of results, the per-second request counts, the attempts log of the event
 * history (a row per retried or failed request) and the jobs' counters and status in one
 * statement. Only rows still leased to this worker are touched: a result that
 * arrives after its lease was taken over is dropped (the new holder sends and records it).
 */
const RECORD_SQL = `
  WITH results AS (
    SELECT * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[])
      AS t(id, outcome, error, response, retry_in_ms, gateway_message_id)
  ), stats AS (
    INSERT INTO send_stats AS s (second, requests, sent, failed, retried)
    SELECT date_trunc('second', clock_timestamp()), count(*),
      count(*) FILTER (WHERE outcome = 'sent'), count(*) FILTER (WHERE outcome = 'failed'),
      count(*) FILTER (WHERE outcome = 'retry')
    FROM results WHERE outcome NOT IN ('cancelled', 'expired', 'suppressed')
    HAVING count(*) > 0
    ON CONFLICT (second) DO UPDATE SET requests = s.requests + EXCLUDED.requests,
      sent = s.sent + EXCLUDED.sent, failed = s.failed + EXCLUDED.failed, retried = s.retried + EXCLUDED.retried
  ), upd AS (
    UPDATE recipients r SET
      status = CASE res.outcome WHEN 'retry' THEN 'pending' ELSE res.outcome END,
      -- the claim counted an attempt that a cancelled, expired or suppressed SMS never made
      attempts = CASE WHEN res.outcome IN ('cancelled', 'expired', 'suppressed') THEN greatest(r.attempts - 1, 0) ELSE r.attempts END,
      error_message = res.error,
      gateway_response = res.response,
      gateway_message_id = coalesce(res.gateway_message_id, r.gateway_message_id),
      sent_at = CASE WHEN res.outcome = 'sent' THEN clock_timestamp() ELSE r.sent_at END,
      next_attempt_at = CASE WHEN res.outcome = 'retry'
        THEN clock_timestamp() + res.retry_in_ms * interval '1 millisecond' ELSE r.next_attempt_at END,
      lease_owner = NULL, lease_expires_at = NULL, updated_at = clock_timestamp()
    FROM results res
    WHERE r.id = res.id AND r.status = 'sending' AND r.lease_owner = $1
    RETURNING r.message_id, r.status, ${RECIPIENT_EVENT_COLUMNS}, r.next_attempt_at,
      res.outcome, coalesce(res.error, res.response) AS answer
  ), attempts_log AS (
    -- Event history (WEBHOOKS.md): a row per retried or failed request. A sent SMS's last
    -- attempt is its own columns (attempts, sent_at, gateway_response): nothing more is written.
    INSERT INTO sms_attempts (message_id, recipient_id, attempt, outcome, detail, retry_at)
    SELECT message_id, id, attempts, outcome, left(answer, 500),
      CASE WHEN outcome = 'retry' THEN next_attempt_at END
    FROM upd WHERE outcome IN ('failed', 'retry')
  ), counts AS (
    SELECT message_id,
      count(*) FILTER (WHERE status = 'sent')::int AS sent,
      count(*) FILTER (WHERE status = 'failed')::int AS failed,
      count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled,
      count(*) FILTER (WHERE status = 'expired')::int AS expired,
      count(*) FILTER (WHERE status = 'suppressed')::int AS suppressed
    FROM upd GROUP BY message_id
  ), jobs AS (
    UPDATE messages m SET ${jobCountersSql('m', { sent: 'c.sent', failed: 'c.failed', cancelled: 'c.cancelled', expired: 'c.expired', suppressed: 'c.suppressed' })},
      last_sent_at = CASE WHEN c.sent > 0 THEN clock_timestamp() ELSE m.last_sent_at END
    FROM counts c WHERE m.id = c.message_id
    RETURNING m.*
  )
  -- Webhooks: recipient.* events in this same statement (nothing without endpoints).
  ${recipientEventsSql('upd', 'jobs')}`;

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

/** A claimed row as the claim statement returns it. */
interface ClaimRow {
  id: string;
  message_id: number;
  phone: string;
  attempts: number;
  content: string;
  segments: number;
  cancelled: boolean;
  suppressed: boolean;
  valid_until: number | null;
  window_start: number | null;
  window_end: number | null;
  window_tz: string | null;
}

@Injectable()
export class QueueRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly claims: ClaimConnections,
  ) {}

  async claim(owner: string, n: number, leaseMs: number): Promise<ClaimedRecipient[]> {
    if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new RangeError(`claim size ${n}`);
    const rows = await this.claims.query<ClaimRow>(claimSql(n), [owner, leaseMs]);
    return rows.map((r) => ({
      id: r.id,
      messageId: r.message_id,
      phone: r.phone,
      attempts: r.attempts,
      content: r.content,
      segments: r.segments,
      cancelled: r.cancelled,
      suppressed: r.suppressed,
      validUntil: r.valid_until,
      window: windowOfRow(r),
    }));
  }

  async record(owner: string, results: SendResult[]): Promise<void> {
    const params = [
      owner,
      plainArray(results.map((r) => r.id)),
      plainArray(results.map((r) => r.outcome)),
      textArray(results.map((r) => r.error)),
      textArray(results.map((r) => r.response)),
      plainArray(results.map((r) => r.retryInMs)),
      textArray(results.map((r) => r.gatewayMessageId ?? null)),
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
      `UPDATE recipients r SET status = ${waitingStatusSql('r')}, lease_owner = NULL, lease_expires_at = NULL,
         attempts = greatest(attempts - 1, 0), updated_at = clock_timestamp()
       WHERE status = 'sending' AND lease_owner = $1 AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[]))`,
      [owner, ids ?? null],
    );
    return count;
  }

  /**
   * Work whose holder stopped renewing (died, froze, lost the database): both the lease taken
   * with the claim and the holder's worker lease have run out, so it goes back to the queue.
   */
  async reclaimExpired(): Promise<number> {
    const [, count] = await this.dataSource.query(
      `UPDATE recipients r SET status = ${waitingStatusSql('r')}, lease_owner = NULL, lease_expires_at = NULL,
         updated_at = clock_timestamp()
       WHERE r.status = 'sending' AND r.lease_expires_at < clock_timestamp()
         AND NOT EXISTS (SELECT FROM workers w
                         WHERE w.id = r.lease_owner AND w.expires_at > clock_timestamp())`,
    );
    return count;
  }

  /**
   * Renews the worker lease that covers everything `workerId` holds, for `leaseMs` from now.
   * `continuous` is false when the lease had already run out (or never existed): its holder
   * must then assume that any of its claims may have been taken over.
   */
  async renewWorkerLease(
    workerId: string,
    host: string,
    pid: number,
    leaseMs: number,
  ): Promise<{ continuous: boolean }> {
    const [row] = await this.dataSource.query(
      `WITH before AS (SELECT expires_at > clock_timestamp() AS live FROM workers WHERE id = $1)
       INSERT INTO workers (id, hostname, pid, expires_at)
       VALUES ($1, $2, $3, clock_timestamp() + $4 * interval '1 millisecond')
       ON CONFLICT (id) DO UPDATE SET last_seen_at = clock_timestamp(), expires_at = EXCLUDED.expires_at
       RETURNING coalesce((SELECT live FROM before), false) AS continuous`,
      [workerId, host, pid, leaseMs],
    );
    return { continuous: row.continuous };
  }

  /** A stopping worker leaves the count at once; long-dead rows are only history. */
  async removeWorker(workerId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM workers WHERE id = $1`, [workerId]);
  }

  /** Send statistics after 7 days; workers gone for an hour (only history by then). */
  async pruneHistory(): Promise<void> {
    await this.dataSource.query(`DELETE FROM send_stats WHERE second < now() - interval '7 days'`);
    await this.dataSource.query(`DELETE FROM workers WHERE expires_at < now() - interval '1 hour'`);
  }

  /** Jobs cancelled while SMS of theirs were claimed: those are not recorded yet. */
  async cancelledUnfinishedJobs(): Promise<number[]> {
    const rows = await this.dataSource.query(
      `SELECT id FROM messages WHERE job_status = 'cancelled' AND completed_at IS NULL`,
    );
    return rows.map((r: { id: number }) => r.id);
  }

  /** Read on every poll while paused: the switch alone, not the worker count. */
  async isPaused(): Promise<boolean> {
    const [row] = await this.dataSource.query(`SELECT ${PAUSED_SQL} AS paused`);
    return row.paused;
  }

  /** Live workers and the pause switch: what health reports about the queue. */
  async liveness(): Promise<{ workers: number; paused: boolean }> {
    const [row] = await this.dataSource.query(
      `SELECT ${LIVE_WORKERS_SQL} AS workers, ${PAUSED_SQL} AS paused`,
    );
    return row;
  }

  /**
   * SMS of jobs past their valid_until that no request has started for become 'expired'
   * (SCHEDULING.md), at most `limit` a statement; returns how many. Jobs come from one
   * index of unfinished jobs with a validity. Recipients are taken as the claim takes them
   * (SKIP LOCKED, recipients before their job), so the sweep never waits on a claim nor
   * deadlocks with one, and sweeps in several processes share the work; a row a claim holds
   * is left to its worker, which checks the validity right before the request.
   */
  async expireDue(limit: number): Promise<number> {
    const [{ count }] = await this.dataSource.query(
      `WITH due AS (
         SELECT id FROM messages
         WHERE valid_until <= clock_timestamp() AND job_status IN ('pending', 'sending', 'scheduled')
       ), picked AS (
         SELECT ctid FROM recipients
         WHERE message_id IN (SELECT id FROM due) AND status IN ('pending', 'held')
         LIMIT ${Math.floor(limit)}
         FOR UPDATE SKIP LOCKED
       ), expired AS (
         UPDATE recipients r SET status = 'expired', lease_owner = NULL, lease_expires_at = NULL,
           updated_at = clock_timestamp()
         WHERE r.ctid = ANY (ARRAY(SELECT ctid FROM picked)) AND r.status IN ('pending', 'held')
         RETURNING r.message_id, r.status, ${RECIPIENT_EVENT_COLUMNS}
       ), counts AS (
         SELECT message_id, count(*)::int AS n FROM expired GROUP BY message_id
       ), jobs AS (
         UPDATE messages m SET ${jobCountersSql('m', { expired: 'c.n' })}
         FROM counts c WHERE m.id = c.message_id
         RETURNING m.*
       ), hooks AS (${recipientEventsSql('expired', 'jobs')})
       SELECT count(*)::int AS count FROM jobs`,
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
