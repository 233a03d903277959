import { Inject, Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { readCsv } from '../csv/csv-reader.js';
import { normalizePhone } from '../messages/phone-numbers.js';
import { MAX_REASON_LENGTH, SuppressionImportDto } from './dto/suppression.dto.js';
import { SuppressionsRepository } from './suppressions.repository.js';
import { SuppressionsService } from './suppressions.service.js';

/** Numbers written per statement. */
const BATCH = 1_000;
/** Invalid rows listed in the answer (all are counted). */
export const MAX_LISTED_INVALID = 1_000;

/**
 * CSV import of the suppression list: the rows are read as they stream in (csv-reader, the
 * upload's phone column names) and written a batch at a time; while a batch is written the
 * body is paused, so a large file never piles up in memory. All batches share one
 * transaction: a file that turns out unreadable or too long halfway adds nothing. Invalid
 * numbers are reported, not fatal. A `reason` column (any case), when there, gives each
 * row's reason; otherwise the query's.
 */
@Injectable()
export class SuppressionImportService {
  constructor(
    private readonly repo: SuppressionsRepository,
    private readonly suppressions: SuppressionsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async import(
    body: Readable,
    adminId: number,
    defaultReason: string | undefined,
  ): Promise<SuppressionImportDto> {
    const answer: SuppressionImportDto = { added: 0, already: 0, invalid: [], invalid_count: 0 };
    const policy = this.suppressions.phonePolicy;
    const session = await this.repo.importSession();
    // Numbers of the batch being filled, each once (a repeat counts as already there).
    let batch = new Map<string, string | null>();
    let writing: Promise<void> = Promise.resolve();
    let failure: unknown;
    let reasonColumn: string | undefined;
    const flush = () => {
      const rows = batch;
      batch = new Map();
      body.pause();
      writing = writing
        .then(async () => {
          if (failure !== undefined) return;
          const r = await session.addMany([...rows.keys()], [...rows.values()], adminId);
          answer.added += r.added;
          answer.already += r.already;
        })
        .catch((e: unknown) => {
          failure = e;
          body.destroy();
        })
        .finally(() => {
          if (failure === undefined) body.resume();
        });
    };
    const invalid = (row: number, message: string) => {
      answer.invalid_count++;
      if (answer.invalid.length < MAX_LISTED_INVALID) answer.invalid.push({ row, message });
    };
    try {
      await readCsv(
        body,
        this.config.smsMaxCsvRows,
        (h) => (reasonColumn = h.columns.find((c) => c.toLowerCase() === 'reason')),
        (r) => {
          if (r.problem) return invalid(r.row, r.problem);
          const phone = normalizePhone(r.phone, policy);
          if (!phone.ok) return invalid(r.row, `phone ${phone.message}`);
          if (batch.has(phone.e164)) {
            answer.already++;
            return;
          }
          const given = (reasonColumn && r.vars[reasonColumn]) || defaultReason || '';
          // PostgreSQL text cannot hold NUL.
          const reason = given
            .replace(/\u0000/g, '')
            .trim()
            .slice(0, MAX_REASON_LENGTH);
          batch.set(phone.e164, reason === '' ? null : reason);
          if (batch.size >= BATCH) flush();
        },
      );
      if (batch.size > 0) flush();
      await writing;
      if (failure !== undefined) throw failure;
    } catch (e) {
      await writing;
      await session.rollback();
      throw failure ?? e;
    }
    await session.commit();
    return answer;
  }
}
