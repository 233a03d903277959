import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { notFound } from '../common/app-error.js';
import type { SmsEventDto, SmsEventType } from './dto/sms-event.dto.js';

interface RecipientRow {
  status: string;
  attempts: number;
  error_message: string | null;
  gateway_response: string | null;
  sent_at: Date | null;
  updated_at: Date;
  delivery_status: string;
  delivered_at: Date | null;
  queued_at: Date;
}

interface AttemptRow {
  attempt: number;
  outcome: 'failed' | 'retry';
  detail: string | null;
  retry_at: Date | null;
  at: Date;
}

/** Final states read from the recipient's own columns (at: its last change). */
const FINAL_BY_STATUS: Record<string, SmsEventType> = {
  expired: 'expired',
  cancelled: 'cancelled',
  suppressed: 'suppressed',
};

/**
 * The event history of one SMS (WEBHOOKS.md): `queued` from its job's created_at, `attempt`
 * and `retry_scheduled` from sms_attempts (written by the result statement for retried and
 * failed requests), the attempt that sent it, the final state and the receipt from the
 * recipient's columns. Events
 * older than EVENT_RETENTION_DAYS are not answered (the attempts log is pruned after that).
 */
@Injectable()
export class SmsEventsRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async history(userId: number, messageId: number, recipientId: string): Promise<SmsEventDto[]> {
    // The recipient key leads with the job: its index finds the job's rows, id picks one.
    const [r]: RecipientRow[] = await this.dataSource.query(
      `SELECT r.status, r.attempts, r.error_message, r.gateway_response, r.sent_at, r.updated_at, r.delivery_status,
         r.delivered_at, m.created_at AS queued_at
       FROM messages m JOIN recipients r ON r.message_id = m.id
       WHERE m.id = $1 AND m.user_id = $2 AND r.id = $3::bigint`,
      [messageId, userId, recipientId],
    );
    if (!r) throw notFound('Recipient');
    const attempts: AttemptRow[] = await this.dataSource.query(
      `SELECT attempt, outcome, detail, retry_at, at FROM sms_attempts
       WHERE message_id = $1 AND recipient_id = $2::bigint ORDER BY at, attempt`,
      [messageId, recipientId],
    );
    const events: { type: SmsEventType; at: Date; attempt?: number; detail?: string }[] = [
      { type: 'queued', at: r.queued_at },
    ];
    let last: Date = r.queued_at;
    const later = (at: Date) => (at < last ? last : at);
    for (const a of attempts) {
      events.push({ type: 'attempt', at: a.at, attempt: a.attempt, detail: a.detail ?? a.outcome });
      if (a.outcome === 'retry' && a.retry_at) {
        events.push({
          type: 'retry_scheduled',
          at: a.at,
          attempt: a.attempt,
          detail: `next attempt at ${a.retry_at.toISOString()}`,
        });
      }
      last = later(a.at);
    }
    if (r.status === 'sent' && r.sent_at) {
      // The request that sent it is not logged: it is the recipient's own columns.
      const at = later(r.sent_at);
      const detail = r.gateway_response?.slice(0, 500);
      events.push({ type: 'attempt', at, attempt: r.attempts, ...(detail ? { detail } : {}) });
      events.push({ type: 'sent', at, attempt: r.attempts });
    } else if (r.status === 'failed') {
      events.push({
        type: 'failed',
        at: attempts.length ? last : later(r.updated_at),
        attempt: r.attempts,
        ...(r.error_message ? { detail: r.error_message } : {}),
      });
    } else if (FINAL_BY_STATUS[r.status]) {
      events.push({ type: FINAL_BY_STATUS[r.status], at: later(r.updated_at) });
    }
    if (r.delivery_status !== 'unknown' && r.delivered_at) {
      const undelivered = r.delivery_status === 'undelivered';
      events.push({
        type: undelivered ? 'undelivered' : 'delivered',
        at: r.delivered_at,
        ...(undelivered && r.error_message ? { detail: r.error_message } : {}),
      });
    }
    const since = Date.now() - this.config.eventRetentionDays * 86_400_000;
    return events
      .map((e, i) => ({ e, i }))
      .filter(({ e }) => e.at.getTime() >= since)
      .sort((x, y) => x.e.at.getTime() - y.e.at.getTime() || x.i - y.i)
      .map(({ e }) => ({ ...e, at: e.at.toISOString() }));
  }

  /** Drops attempts older than the retention (housekeeping). */
  async prune(retentionDays: number): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM sms_attempts WHERE at < now() - $1 * interval '1 day'`,
      [retentionDays],
    );
  }
}
