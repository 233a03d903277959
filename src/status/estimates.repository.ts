import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { QueueSnapshotJob } from './eta.js';

@Injectable()
export class EstimatesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Every unfinished job in serving order (adhoc first, then oldest) with its position and
   * the SMS left up to and including it. Reads only the partial index of unfinished jobs,
   * so its cost follows the queue, not the history. `ids` and `userId` limit the answer, not
   * the sums.
   */
  async queueOrder(ids?: number[], userId?: number): Promise<QueueSnapshotJob[]> {
    const rows = await this.dataSource.query(
      `SELECT id, job_status, position::int, remaining, remaining_through::bigint AS remaining_through FROM (
         SELECT id, user_id, job_status,
                recipient_count - sent_count - failed_count - cancelled_count AS remaining,
                row_number() OVER w AS position,
                sum(recipient_count - sent_count - failed_count - cancelled_count) OVER w AS remaining_through
         FROM messages WHERE job_status IN ('pending', 'sending')
         WINDOW w AS (ORDER BY adhoc DESC, id ROWS UNBOUNDED PRECEDING)
       ) q WHERE ($1::int[] IS NULL OR id = ANY($1::int[])) AND ($2::int IS NULL OR user_id = $2)`,
      [ids ?? null, userId ?? null],
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
}
