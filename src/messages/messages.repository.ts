import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { SmsEncoding } from './sms-encoding.js';
import { JobStatus, MessageRow, RecipientRow, RecipientStatus } from './message-row.js';

export interface NewMessage {
  userId: number;
  content: string;
  encoding: SmsEncoding;
  segments: number;
  adhoc: boolean;
  phones: string[];
  duplicatesRemoved: number;
}

export interface MessageFilter {
  userId?: number;
  jobStatus?: JobStatus;
  from?: Date;
  to?: Date;
  offset: number;
  limit: number;
}

/** Wakes the queue workers (LISTEN sms_queued); delivered only if the insert commits. */
export const QUEUED_CHANNEL = 'sms_queued';

const MESSAGE_COLUMNS = `id, user_id, content, encoding, segments, adhoc, job_status, status,
  recipient_count, sent_count, failed_count, cancelled_count, duplicates_removed,
  created_at, started_at, last_sent_at, completed_at`;

@Injectable()
export class MessagesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The job and all its recipients in one transaction, recipients in one set-based insert:
   * either the whole job is queued or nothing is.
   */
  async insert(m: NewMessage): Promise<MessageRow> {
    return this.dataSource.transaction(async (tx) => {
      const [row] = await tx.query(
        `INSERT INTO messages (user_id, content, encoding, segments, adhoc, recipient_count, duplicates_removed)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${MESSAGE_COLUMNS}`,
        [
          m.userId,
          m.content,
          m.encoding,
          m.segments,
          m.adhoc,
          m.phones.length,
          m.duplicatesRemoved,
        ],
      );
      await tx.query(
        `INSERT INTO recipients (message_id, ordinal, phone, priority)
         SELECT $1, t.ord, t.phone, $2 FROM unnest($3::text[]) WITH ORDINALITY AS t(phone, ord)`,
        [row.id, m.adhoc ? 0 : 1, m.phones],
      );
      await tx.query(`SELECT pg_notify($1, $2)`, [QUEUED_CHANNEL, String(row.id)]);
      return row as MessageRow;
    });
  }

  async findById(id: number, userId?: number): Promise<MessageRow | null> {
    const rows = await this.dataSource.query(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = $1 AND ($2::int IS NULL OR user_id = $2)`,
      [id, userId ?? null],
    );
    return rows[0] ?? null;
  }

  async list(f: MessageFilter): Promise<{ items: MessageRow[]; total: number }> {
    const where = `($1::int IS NULL OR user_id = $1) AND ($2::text IS NULL OR job_status = $2)
      AND ($3::timestamptz IS NULL OR created_at >= $3) AND ($4::timestamptz IS NULL OR created_at <= $4)`;
    const params = [f.userId ?? null, f.jobStatus ?? null, f.from ?? null, f.to ?? null];
    const [items, count] = await Promise.all([
      this.dataSource.query(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE ${where} ORDER BY id DESC OFFSET $5 LIMIT $6`,
        [...params, f.offset, f.limit],
      ),
      this.dataSource.query(`SELECT count(*)::int AS n FROM messages WHERE ${where}`, params),
    ]);
    return { items, total: count[0].n };
  }

  async recipients(
    messageId: number,
    status: RecipientStatus | undefined,
    offset: number,
    limit: number,
  ): Promise<{ items: RecipientRow[]; total: number }> {
    const where = `message_id = $1 AND ($2::text IS NULL OR status = $2)`;
    const [items, count] = await Promise.all([
      this.dataSource.query(
        `SELECT id::text, phone, status, attempts, error_message, sent_at FROM recipients
         WHERE ${where} ORDER BY ordinal OFFSET $3 LIMIT $4`,
        [messageId, status ?? null, offset, limit],
      ),
      this.dataSource.query(`SELECT count(*)::int AS n FROM recipients WHERE ${where}`, [
        messageId,
        status ?? null,
      ]),
    ]);
    return { items, total: count[0].n };
  }
}
