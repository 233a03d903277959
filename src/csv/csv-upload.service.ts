import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import { AppError } from '../common/app-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { MessagesService, Sender } from '../messages/messages.service.js';
import { normalizePhone, PhonePolicy } from '../messages/phone-numbers.js';
import { SuppressionsService } from '../suppressions/suppressions.service.js';
import { addStaged, type StagedList } from '../templates/personalise.js';
import { missingNames, normalizeVars, render } from '../templates/placeholders.js';
import { parseOrRefuse } from '../templates/templates.service.js';
import { readCsv } from './csv-reader.js';
import { CsvStaging } from './csv-staging.js';
import { NumberSet } from './number-set.js';
import { SuppressedCounter } from './suppressed-counter.js';
import { CsvAcceptedDto, CsvQueryDto, CsvReportDto } from './dto/csv.dto.js';

/** Errors a report lists (the counts cover all). */
export const MAX_REPORTED_ERRORS = 1_000;
const PREVIEW_ROWS = 5;

/** A number's key in the set of those already taken: its digits (E.164 fits a double exactly). */
const phoneKey = (e164: string) => Number(e164.slice(1));

/**
 * CSV upload (CONTENT.md): the body's rows rendered and checked one by one as they stream
 * in. A dry run only counts them. Otherwise the job is opened in the upload's own
 * transaction, each valid row is COPYed into its recipients as soon as it is checked
 * (CsvStaging), and at the end the job is settled in that transaction
 * (MessagesService.finishUpload): nothing of the upload is held here but its counts and the
 * numbers seen (duplicates are sent once, with the first row's values), and any failure
 * rolls all of it back.
 */
@Injectable()
export class CsvUploadService {
  private readonly phonePolicy: PhonePolicy;

  constructor(
    private readonly messages: MessagesService,
    private readonly suppressions: SuppressionsService,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.phonePolicy = {
      allowedCountries: config.smsAllowedCountries,
      defaultCountry: config.smsDefaultCountry,
    };
  }

  async upload(
    sender: Sender,
    q: CsvQueryDto,
    body: Readable,
  ): Promise<CsvReportDto | CsvAcceptedDto> {
    const text = await this.messages.textOf(sender.id, q, () => [], true);
    const template = text.parsed ?? parseOrRefuse(text.content);
    const report: CsvReportDto = {
      rows: 0,
      valid: 0,
      invalid: 0,
      duplicates_removed: 0,
      suppressed: 0,
      total_segments: 0,
      encoding_counts: { gsm7: 0, ucs2: 0 },
      estimated_complete_at: null,
      preview: [],
      errors: [],
    };
    const list: StagedList = {
      count: 0,
      duplicatesRemoved: 0,
      maxSegments: 0,
      totalSegments: 0,
      encoding: 'gsm7',
    };
    const seen = new NumberSet();
    const suppressed = new SuppressedCounter(this.suppressions);
    let phoneColumn = 'phone';
    const fail = (row: number, column: string | null, message: string) => {
      report.invalid++;
      if (report.errors.length < MAX_REPORTED_ERRORS) report.errors.push({ row, column, message });
    };
    const job = this.messages.prepareUpload(sender, q, text);
    const staging = q.dry_run
      ? null
      : await CsvStaging.open(this.dataSource, (db) => this.messages.openUpload(job, db));
    try {
      report.rows = await readCsv(
        body,
        this.config.smsMaxCsvRows,
        (h) => (phoneColumn = h.phoneColumn),
        (r) => {
          if (r.problem) return fail(r.row, null, r.problem);
          const phone = normalizePhone(r.phone, this.phonePolicy);
          if (!phone.ok) return fail(r.row, phoneColumn, phone.message);
          const vars = normalizeVars(r.vars);
          const lacking = missingNames(template, vars);
          if (lacking.length > 0) {
            return fail(r.row, lacking[0], `no value for ${lacking.join(', ')}`);
          }
          const key = phoneKey(phone.e164);
          if (seen.has(key)) {
            report.duplicates_removed++;
            return;
          }
          const rendered = render(template, vars);
          let info;
          try {
            info = this.messages.checkContent(rendered);
          } catch (e) {
            if (!(e instanceof AppError)) throw e;
            return fail(r.row, null, e.message);
          }
          seen.add(key);
          report.valid++;
          report.total_segments += info.segments;
          report.encoding_counts[info.encoding]++;
          if (report.preview.length < PREVIEW_ROWS) {
            report.preview.push({
              row: r.row,
              phone: phone.e164,
              content: rendered,
              segments: info.segments,
            });
          }
          addStaged(list, info);
          // The recipient keeps its own text only where it differs from the job's.
          const own = rendered !== text.content;
          const staged = staging?.add(
            phone.e164,
            own ? rendered : null,
            own ? info.segments : null,
          );
          const counted = suppressed.add(phone.e164);
          if (staged && counted) return Promise.all([staged, counted]).then(() => undefined);
          return staged ?? counted;
        },
      );
      list.duplicatesRemoved = report.duplicates_removed;
      await suppressed.flush();
      report.suppressed = suppressed.count;
      if (staging === null) {
        const tokens = this.config.smsRateUnit === 'segment' ? list.totalSegments : list.count;
        report.estimated_complete_at =
          list.count > 0 ? await this.messages.estimateFor(sender, q, tokens) : null;
        return report;
      }
      if (report.invalid > 0 && !q.skip_invalid) {
        throw new AppError(
          400,
          'VALIDATION_ERROR',
          `${report.invalid} invalid row(s); nothing was queued (skip_invalid=true queues the valid ones)`,
          report.errors.map((e) => ({ field: e.column ?? 'row', ...e })),
        );
      }
      if (list.count === 0) {
        throw new AppError(
          400,
          'VALIDATION_ERROR',
          'The CSV has no valid row; nothing was queued',
          [{ field: 'body', message: 'no valid row' }],
        );
      }
      const written = await staging.finish();
      if (written !== list.count) throw new Error(`wrote ${written} rows of ${list.count}`);
      const accepted = await this.messages.finishUpload(
        job,
        { db: staging.db, start: staging.job, commit: () => staging.commit() },
        list,
        suppressed.count > 0,
      );
      return { ...accepted, report };
    } finally {
      // Nothing left to undo after a commit; anything else is rolled back.
      await staging?.abort();
    }
  }
}
