import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import type { AuthenticatedUser } from '../access/authenticated-user.js';
import { notFound } from '../common/app-error.js';
import { cell, safePhone } from './csv-cells.js';
import { sendCsv } from './csv-response.js';
import { MessagesExportQueryDto } from './dto/export-query.dto.js';
import { ExportsRepository } from './exports.repository.js';

export const RECIPIENT_COLUMNS = [
  'id',
  'phone',
  'status',
  'attempts',
  'error_message',
  'sent_at',
  'delivery_status',
  'delivered_at',
];

export const MESSAGE_COLUMNS = [
  'id',
  'user_id',
  'owner_username',
  'job_status',
  'status',
  'adhoc',
  'content',
  'personalised',
  'template_id',
  'segments',
  'encoding',
  'recipient_count',
  'sent_count',
  'failed_count',
  'cancelled_count',
  'expired_count',
  'suppressed_count',
  'delivered_count',
  'undelivered_count',
  'duplicates_removed',
  'created_at',
  'started_at',
  'completed_at',
  'send_at',
  'valid_until',
];

/** Rows of a page as CSV records in `columns` order, each cell guarded (csv-cells.ts). */
async function* records(pages: AsyncIterable<Record<string, unknown>[]>, columns: string[]) {
  for await (const page of pages) {
    yield page.map((r) =>
      columns.map((c) => (c === 'phone' ? safePhone(String(r.phone)) : cell(r[c]))),
    );
  }
}

/**
 * CSV exports (CONTENT.md): a job's recipients (its owner or an admin) and the admin job
 * listing with its filters, streamed page by page. A personalised job's recipients add the
 * text each was rendered (its variables are not kept, only what they produced).
 */
@Injectable()
export class ExportsService {
  constructor(private readonly repo: ExportsRepository) {}

  async recipients(caller: AuthenticatedUser, id: number, res: Response): Promise<void> {
    const job = await this.repo.job(id, caller.isAdmin ? undefined : caller.id);
    if (!job) throw notFound('Message');
    const columns = job.personalised ? [...RECIPIENT_COLUMNS, 'content'] : RECIPIENT_COLUMNS;
    await sendCsv(
      res,
      `sms-${job.id}-recipients.csv`,
      columns,
      records(this.repo.recipients(job), columns),
    );
  }

  async messages(q: MessagesExportQueryDto, res: Response): Promise<void> {
    const pages = this.repo.messages({
      userId: q.user_id,
      jobStatus: q.job_status,
      from: q.from,
      to: q.to,
      text: q.q,
    });
    await sendCsv(res, 'messages.csv', MESSAGE_COLUMNS, records(pages, MESSAGE_COLUMNS));
  }
}
