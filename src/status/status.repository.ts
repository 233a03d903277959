import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface QueueCounts {
  queueDepth: number;
  pendingMessages: number;
  sendingMessages: number;
  oldestPendingAt: Date | null;
  requestsLastMinute: number;
  workers: number;
  paused: boolean;
}

/*
 * One round trip. Job counts read only unfinished jobs (a partial index), the observed rate
 * reads 60 per-second rows, so the cost does not grow with the backlog's recipients or with
 * history.
 */
const COUNTS_SQL = `
  SELECT
    coalesce(sum(recipient_count - sent_count - failed_count - cancelled_count), 0)::bigint AS queue_depth,
    count(*) FILTER (WHERE job_status = 'pending')::int AS pending_messages,
    count(*) FILTER (WHERE job_status = 'sending')::int AS sending_messages,
    min(created_at) AS oldest_pending_at,
    (SELECT coalesce(sum(requests), 0)::int FROM send_stats
      WHERE second >= date_trunc('second', clock_timestamp()) - interval '59 seconds') AS requests_last_minute,
    (SELECT count(*)::int FROM workers WHERE expires_at > clock_timestamp()) AS workers,
    coalesce((SELECT value = 'true' FROM app_settings WHERE key = 'queue_paused'), false) AS paused
  FROM messages WHERE job_status IN ('pending', 'sending')`;

@Injectable()
export class StatusRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async counts(): Promise<QueueCounts> {
    const [r] = await this.dataSource.query(COUNTS_SQL);
    return {
      queueDepth: Number(r.queue_depth),
      pendingMessages: r.pending_messages,
      sendingMessages: r.sending_messages,
      oldestPendingAt: r.oldest_pending_at,
      requestsLastMinute: r.requests_last_minute,
      workers: r.workers,
      paused: r.paused,
    };
  }

  /** Requests per second over the last `seconds` (for the throughput chart). */
  async throughput(
    seconds: number,
  ): Promise<{ second: Date; requests: number; sent: number; failed: number }[]> {
    return this.dataSource.query(
      `SELECT second, requests, sent, failed FROM send_stats
       WHERE second >= date_trunc('second', clock_timestamp()) - $1 * interval '1 second' ORDER BY second`,
      [seconds],
    );
  }
}
