import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Rows per read: a page is written out before the next is read. */
export const EXPORT_PAGE = 1_000;

export interface ExportJob {
  id: number;
  content: string;
  personalised: boolean;
}

export interface MessageExportFilter {
  userId?: number;
  jobStatus?: string;
  from?: Date;
  to?: Date;
  /** Content contains this text. */
  text?: string;
}

/**
 * Reads for the CSV exports, a keyset page at a time (the recipients' primary key
 * (message_id, ordinal); messages by id, newest first): each page is one short query, so a
 * slow download holds no connection or snapshot between pages, and the result is never
 * held whole. Rows added while an export runs may or may not be in it.
 */
@Injectable()
export class ExportsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The job, if the caller may read it (its owner; `userId` undefined: an admin). */
  async job(id: number, userId: number | undefined): Promise<ExportJob | null> {
    const rows = await this.dataSource.query(
      `SELECT id, content, personalised FROM messages WHERE id = $1 AND ($2::int IS NULL OR user_id = $2)`,
      [id, userId ?? null],
    );
    return rows[0] ?? null;
  }

  /** The job's recipients in the order given; a personalised job's adds each one's text. */
  async *recipients(job: ExportJob): AsyncGenerator<Record<string, unknown>[]> {
    let after = 0;
    for (;;) {
      const page: Record<string, unknown>[] = await this.dataSource.query(
        `SELECT ordinal, id::text, phone, status, attempts, error_message, sent_at, delivery_status,
           delivered_at${job.personalised ? ', coalesce(content, $3) AS content' : ''}
         FROM recipients WHERE message_id = $1 AND ordinal > $2 ORDER BY ordinal LIMIT ${EXPORT_PAGE}`,
        job.personalised ? [job.id, after, job.content] : [job.id, after],
      );
      if (page.length === 0) return;
      yield page;
      if (page.length < EXPORT_PAGE) return;
      after = Number(page[page.length - 1].ordinal);
    }
  }

  /** Jobs matching the admin listing's filters, newest first, with their owner's name. */
  async *messages(f: MessageExportFilter): AsyncGenerator<Record<string, unknown>[]> {
    const text = f.text === undefined ? null : f.text.replace(/[\\%_]/g, (c) => `\\${c}`);
    const params = [f.userId ?? null, f.jobStatus ?? null, f.from ?? null, f.to ?? null, text];
    let before = 2_147_483_647;
    for (;;) {
      const page: Record<string, unknown>[] = await this.dataSource.query(
        `SELECT m.id, m.user_id, u.username AS owner_username, m.job_status, m.status, m.adhoc,
           m.content, m.personalised, m.template_id, m.segments, m.encoding, m.recipient_count,
           m.sent_count, m.failed_count, m.cancelled_count, m.expired_count, m.suppressed_count,
           m.delivered_count, m.undelivered_count, m.duplicates_removed, m.created_at, m.started_at,
           m.completed_at, m.send_at, m.valid_until
         FROM messages m LEFT JOIN users u ON u.id = m.user_id
         WHERE m.id < $6 AND ($1::int IS NULL OR m.user_id = $1) AND ($2::text IS NULL OR m.job_status = $2)
           AND ($3::timestamptz IS NULL OR m.created_at >= $3) AND ($4::timestamptz IS NULL OR m.created_at <= $4)
           AND ($5::text IS NULL OR m.content ILIKE '%' || $5 || '%')
         ORDER BY m.id DESC LIMIT ${EXPORT_PAGE}`,
        [...params, before],
      );
      if (page.length === 0) return;
      yield page;
      if (page.length < EXPORT_PAGE) return;
      before = Number(page[page.length - 1].id);
    }
  }
}
