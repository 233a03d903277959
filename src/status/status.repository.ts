import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig, type RateUnit } from '../config/app-config.js';
import { LIVE_WORKERS_SQL, PAUSED_SQL } from '../queue/queue.sql.js';

export interface QueueCounts {
  /** SMS not yet in a final state. */
  queueDepth: number;
  /** The same in tokens of the rate limit: SMS, or segments with SMS_RATE_UNIT=segment. */
  queueTokens: number;
  pendingMessages: number;
  sendingMessages: number;
  oldestPendingAt: Date | null;
  requestsLastMinute: number;
  workers: number;
  paused: boolean;
  /** SMS not yet final per lane (FAIRNESS.md). */
  urgentDepth: number;
  normalDepth: number;
  /** Users with SMS waiting. */
  activeUsers: number;
  /** Jobs waiting for their send_at, and their SMS (not in queueDepth). */
  scheduledMessages: number;
  scheduledRecipients: number;
}

/*
 * One round trip. Depths and job counts come from the running totals per user and lane
 * (`lane_loads`) and what started jobs hold (`started_loads`), the oldest waiting job from one probe a lane of the unfinished-jobs index,
 * the observed rate from 60 per-second rows: the cost does not grow with the backlog's jobs,
 * SMS or history.
 */
const countsSql = (unit: RateUnit) => {
  const col = unit === 'segment' ? 'segments' : 'sms';
  return `
  WITH started AS MATERIALIZED (SELECT * FROM started_loads),
  waiting AS (
    SELECT user_id, lane, pending_sms, pending_${col} AS pending_tokens, pending_jobs,
      sending_jobs, scheduled_jobs, scheduled_sms
    FROM lane_loads WHERE pending_jobs > 0 OR sending_jobs > 0 OR scheduled_jobs > 0
  )
  SELECT
    coalesce(sum(pending_sms), 0)::bigint + (SELECT coalesce(sum(sms), 0) FROM started)::bigint AS queue_depth,
    coalesce(sum(pending_tokens), 0)::bigint + (SELECT coalesce(sum(${col}), 0) FROM started)::bigint AS queue_tokens,
    coalesce(sum(pending_sms) FILTER (WHERE lane = 0), 0)::bigint
      + (SELECT coalesce(sum(sms), 0) FROM started WHERE lane = 0)::bigint AS urgent_depth,
    count(DISTINCT user_id) FILTER (WHERE pending_jobs + sending_jobs > 0)::int AS active_users,
    coalesce(sum(pending_jobs), 0)::int AS pending_messages,
    coalesce(sum(sending_jobs), 0)::int AS sending_messages,
    coalesce(sum(scheduled_jobs), 0)::int AS scheduled_messages,
    coalesce(sum(scheduled_sms), 0)::bigint AS scheduled_recipients,
    least(${['true', 'false']
      .map(
        (adhoc) =>
          `(SELECT created_at FROM messages WHERE job_status IN ('pending', 'sending') AND adhoc = ${adhoc}
            ORDER BY adhoc DESC, id LIMIT 1)`,
      )
      .join(', ')}) AS oldest_pending_at,
    (SELECT coalesce(sum(requests), 0)::int FROM send_stats
      WHERE second >= date_trunc('second', clock_timestamp()) - interval '59 seconds') AS requests_last_minute,
    ${LIVE_WORKERS_SQL} AS workers,
    ${PAUSED_SQL} AS paused
  FROM waiting`;
};

@Injectable()
export class StatusRepository {
  private readonly countsSql: string;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.countsSql = countsSql(config.smsRateUnit);
  }

  async counts(): Promise<QueueCounts> {
    const [r] = await this.dataSource.query(this.countsSql);
    return {
      queueDepth: Number(r.queue_depth),
      queueTokens: Number(r.queue_tokens),
      pendingMessages: r.pending_messages,
      sendingMessages: r.sending_messages,
      oldestPendingAt: r.oldest_pending_at,
      requestsLastMinute: r.requests_last_minute,
      workers: r.workers,
      paused: r.paused,
      urgentDepth: Number(r.urgent_depth),
      normalDepth: Number(r.queue_depth) - Number(r.urgent_depth),
      activeUsers: r.active_users,
      scheduledMessages: r.scheduled_messages,
      scheduledRecipients: Number(r.scheduled_recipients),
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
