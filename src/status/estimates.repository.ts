import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { QueueSnapshotJob } from './eta.js';

export interface UserQueueSummary {
  jobs: number;
  remaining: number;
  /** SMS to send up to the end of the user's job that finishes first; null without jobs. */
  soonestThrough: number | null;
}

/*
 * Unfinished jobs in serving order (adhoc first, then oldest) with, for each, the SMS that
 * still need a token up to and including it. SMS in flight have paid for theirs, so they
 * are left out. Reads the partial index of unfinished jobs and the few rows being sent, so
 * the cost follows the number of jobs in the queue, not SMS or history.
 */
const QUEUE_ORDER = `
  WITH in_flight AS (
    SELECT message_id, count(*) AS n FROM recipients WHERE status = 'sending' GROUP BY message_id
  )
  SELECT m.id, m.user_id, m.job_status,
         m.recipient_count - m.sent_count - m.failed_count - m.cancelled_count AS remaining,
         row_number() OVER w AS position,
         sum(m.recipient_count - m.sent_count - m.failed_count - m.cancelled_count - coalesce(f.n, 0)) OVER w
           AS remaining_through
  FROM messages m LEFT JOIN in_flight f ON f.message_id = m.id
  WHERE m.job_status IN ('pending', 'sending')
  WINDOW w AS (ORDER BY m.adhoc DESC, m.id ROWS UNBOUNDED PRECEDING)`;

@Injectable()
export class EstimatesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Position and SMS-through of the given unfinished jobs (finished ones are absent). */
  async queueOrder(ids: number[]): Promise<QueueSnapshotJob[]> {
    const rows = await this.dataSource.query(
      `SELECT id, job_status, position::int, remaining, remaining_through::bigint AS remaining_through
       FROM (${QUEUE_ORDER}) q WHERE id = ANY($1::int[])`,
      [ids],
    );
    type Row = {
      id: number;
      job_status: string;
      position: number;
      remaining: number;
      remaining_through: string;
    };
    return rows.map((r: Row) => ({
      id: r.id,
      jobStatus: r.job_status,
      position: r.position,
      remaining: r.remaining,
      remainingThrough: Number(r.remaining_through),
    }));
  }

  /** A user's unfinished jobs summed up in SQL: three numbers cross the wire, not a row per job. */
  async userSummary(userId: number): Promise<UserQueueSummary> {
    const [r] = await this.dataSource.query(
      `SELECT count(*)::int AS jobs, coalesce(sum(remaining), 0)::bigint AS remaining,
              min(remaining_through)::bigint AS soonest
       FROM (${QUEUE_ORDER}) q WHERE user_id = $1`,
      [userId],
    );
    return {
      jobs: r.jobs,
      remaining: Number(r.remaining),
      soonestThrough: r.soonest === null ? null : Number(r.soonest),
    };
  }
}
