import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { createHash } from 'node:crypto';
import { type AuthenticatedUser, mayQueueUrgent } from '../access/authenticated-user.js';
import { AppError, notFound } from '../common/app-error.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { pageMeta } from '../common/pagination.dto.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { GroupCommit, type ItemOutcome } from '../common/group-commit.js';
import { EstimatesService } from '../status/estimates.service.js';
import { type JobEstimate, NO_ESTIMATE } from '../status/eta.js';
import {
  AcceptedSmsDto,
  MessageDetailDto,
  MessageListDto,
  RecipientListDto,
} from './dto/message.dto.js';
import { MessageListQueryDto, RecipientQueryDto } from './dto/message-query.dto.js';
import { SendBulkDto, SendSmsDto, TextFields } from './dto/send-sms.dto.js';
import { checkUrgentAllowed, wantsUrgent } from './lanes.js';
import { toAccepted, toDetail, toRecipient, toSummary } from './message.mapper.js';
import { MessageRow } from './message-row.js';
import {
  isBatchable,
  MessagesRepository,
  NewMessage,
  NewUploadJob,
  SendRoute,
  UploadJobStart,
} from './messages.repository.js';
import { updateJson } from './json-hash.js';
import { normalizePhone, normalizeRecipients, PhonePolicy } from './phone-numbers.js';
import { analyzeContent, ContentInfo } from './sms-encoding.js';
import { UNFINISHED } from './statuses.js';
import { finishAfter } from '../scheduling/send-window.js';
import { SendTiming, timingOf, windowOf } from './send-timing.js';
import { validUntilOf, ValidityRequest, wouldExpire } from './validity.js';
import { TemplatesService } from '../templates/templates.service.js';
import { missingFieldsError } from '../templates/missing-fields.js';
import {
  objectRecipients,
  personalise,
  PersonalisedList,
  type StagedList,
} from '../templates/personalise.js';
import type { ParsedTemplate } from '../templates/placeholders.js';
import { parseOrRefuse } from '../templates/templates.service.js';

/** Lone surrogates: not valid UTF-8, silently mangled on the way to the database. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** C0 controls but line feed, carriage return and tab (NUL included: text cannot hold it). */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;

/** How far ahead send_at may be (SCHEDULING.md). */
const MAX_SCHEDULE_AHEAD_MS = 90 * 24 * 3_600_000;

/** A job's text, and the template version it was rendered from (none: content given). */
export interface JobText {
  content: string;
  template?: { id: number; version: number };
  /** The template's parsed text (personalised sends). */
  parsed?: ParsedTemplate;
  personal?: NewMessage['personal'];
}

/** The job fields of any send request: send, send-bulk or a CSV upload's query. */
export type JobRequest = TextFields & { content?: string };

/** A CSV upload's job fields, checked (MessagesService.prepareUpload). */
export type UploadJob = JobRequest & JobText & { adhoc: boolean; userId: number } & SendTiming;

/** The columns an upload's job row opens with. */
const uploadFields = (job: UploadJob, db: EntityManager): NewUploadJob => ({
  db,
  userId: job.userId,
  content: job.content,
  adhoc: job.adhoc,
  sendAt: job.sendAt,
  holdUntil: job.holdUntil,
  scheduled: job.scheduled,
  window: job.window,
  windowClosesAt: job.windowClosesAt,
  template: job.template,
});

/** Who is sending: whose job it is and whether they may use the urgent lane. */
export type Sender = Pick<AuthenticatedUser, 'id' | 'isAdmin' | 'canSendUrgent'>;

/** The lane a send request asks for, once the sender is known to be allowed on it. */
function laneFor(sender: Sender, dto: JobRequest): boolean {
  const urgent = wantsUrgent(dto);
  checkUrgentAllowed(urgent, mayQueueUrgent(sender));
  return urgent;
}

/** A job just queued, and where it stands. */
interface Queued {
  row: MessageRow;
  estimate: JobEstimate;
}

/**
 * Single sends queued by one batch at most. One batch under way at a time: jobs are then
 * queued in the order their requests arrived, as one by one, and the next batch gathers
 * everything that came while the last one ran.
 */
const GROUP_COMMIT = { maxBatch: 64, maxInFlight: 1 };

@Injectable()
export class MessagesService {
  private readonly phonePolicy: PhonePolicy;
  /**
   * Concurrent single sends: their rows, then their estimates, one batch through both. As two
   * group commits one after the other, each batch was half as big, with twice the statements
   * a send (bench/submissions: PostgreSQL ~1.0 ms of CPU a send instead of ~0.55).
   */
  private readonly singles = new GroupCommit<NewMessage, Queued>(
    (items) => this.queueSingles(items),
    GROUP_COMMIT,
  );

  constructor(
    private readonly repo: MessagesRepository,
    private readonly estimates: EstimatesService,
    private readonly templates: TemplatesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.phonePolicy = {
      allowedCountries: config.smsAllowedCountries,
      defaultCountry: config.smsDefaultCountry,
    };
  }

  /** 400 when `content` cannot be sent as it is (empty, control characters, too long). */
  checkContent(content: string): ContentInfo {
    if (content.trim() === '') {
      throw new AppError(400, 'VALIDATION_ERROR', 'content must not be empty', [
        { field: 'content', message: 'content must not be empty' },
      ]);
    }
    if (CONTROL.test(content)) {
      throw new AppError(400, 'VALIDATION_ERROR', 'content contains a control character', [
        {
          field: 'content',
          message: 'content must not contain control characters other than \\n, \\r and \\t',
        },
      ]);
    }
    if (LONE_SURROGATE.test(content)) {
      throw new AppError(400, 'VALIDATION_ERROR', 'content contains an invalid character', [
        { field: 'content', message: 'content must not contain unpaired UTF-16 surrogates' },
      ]);
    }
    const info = analyzeContent(content);
    if (info.segments > this.config.smsMaxSegments) {
      throw new AppError(
        400,
        'CONTENT_TOO_LONG',
        `content needs ${info.segments} ${info.encoding} segments; the maximum is ${this.config.smsMaxSegments}`,
        [
          {
            field: 'content',
            message: `${info.units} ${info.encoding === 'gsm7' ? 'septets' : 'UTF-16 units'}, ${info.segments} segments`,
          },
        ],
      );
    }
    return info;
  }

  /**
   * `send_at` (already checked to be an ISO-8601 time with an offset): at most 90 days ahead.
   * Ahead of now, the job's SMS are held until then; in the past or now, it is sent as usual,
   * within its send window.
   */
  private schedule(dto: JobRequest): SendTiming {
    const now = this.clock.now();
    const window = windowOf(dto.send_window, this.config.smsSendWindow);
    if (dto.send_at === undefined) return timingOf(null, window, now);
    const at = new Date(dto.send_at);
    if (at.getTime() > now + MAX_SCHEDULE_AHEAD_MS) {
      const message = 'send_at must be at most 90 days ahead';
      throw new AppError(400, 'VALIDATION_ERROR', message, [
        { field: 'send_at', value: dto.send_at, message },
      ]);
    }
    return timingOf(at, window, now);
  }

  /**
   * The job's text: its `content`, or its template's current version (CONTENT.md). A
   * template with placeholders needs values, which plain recipients do not give: 400
   * MISSING_FIELDS naming them.
   */
  async textOf(
    userId: number,
    dto: JobRequest,
    phones: () => unknown[],
    personal = false,
  ): Promise<JobText> {
    if ((dto.content === undefined) === (dto.template_id === undefined)) {
      const message = 'give either content or template_id (exactly one)';
      throw new AppError(400, 'VALIDATION_ERROR', message, [
        { field: 'content', message },
        { field: 'template_id', message },
      ]);
    }
    if (dto.content !== undefined) return { content: dto.content };
    const t = await this.templates.forJob(userId, dto.template_id!);
    if (personal)
      return { content: t.content, template: { id: t.id, version: t.version }, parsed: t.parsed };
    if (t.parsed.placeholders.length > 0) {
      const missing = t.parsed.placeholders.map((p) => p.toLowerCase());
      throw missingFieldsError(phones().map((phone, index) => ({ index, phone, missing })));
    }
    return { content: t.content, template: { id: t.id, version: t.version } };
  }

  async sendOne(sender: Sender, dto: SendSmsDto, idempotencyKey?: string): Promise<AcceptedSmsDto> {
    const adhoc = laneFor(sender, dto);
    const text = await this.textOf(sender.id, dto, () => [dto.recipient]);
    const info = this.checkContent(text.content);
    const phone = normalizePhone(dto.recipient, this.phonePolicy);
    if (!phone.ok) {
      throw new AppError(400, 'INVALID_PHONE_FORMAT', 'Invalid phone number', [
        { field: 'recipient', value: dto.recipient, message: phone.message },
      ]);
    }
    const job = { ...dto, ...text, adhoc, ...this.schedule(dto) };
    return this.queue(sender.id, 'single', job, info, [phone.e164], 0, idempotencyKey);
  }

  async sendBulk(
    sender: Sender,
    dto: SendBulkDto,
    idempotencyKey?: string,
  ): Promise<AcceptedSmsDto> {
    const adhoc = laneFor(sender, dto);
    const schedule = this.schedule(dto);
    if (dto.recipients.length > this.config.smsMaxBulkRecipients) {
      throw new AppError(
        413,
        'PAYLOAD_TOO_LARGE',
        `At most ${this.config.smsMaxBulkRecipients} recipients per request (got ${dto.recipients.length})`,
      );
    }
    if (objectRecipients(dto.recipients)) {
      return this.sendPersonal(sender.id, dto, { adhoc, ...schedule }, idempotencyKey);
    }
    const text = await this.textOf(sender.id, dto, () => dto.recipients);
    const info = this.checkContent(text.content);
    const list = normalizeRecipients(dto.recipients, this.phonePolicy);
    if (list.invalid.length > 0) {
      throw new AppError(
        400,
        'INVALID_PHONE_FORMAT',
        `${list.invalid.length} invalid phone number(s); nothing was queued`,
        list.invalid.map((i) => ({
          field: `recipients[${i.index}]`,
          value: i.value,
          message: i.message,
        })),
      );
    }
    return this.queue(
      sender.id,
      'bulk',
      { ...dto, ...text, adhoc, ...schedule },
      info,
      list.valid,
      list.duplicatesRemoved,
      idempotencyKey,
    );
  }

  /**
   * Recipients as {phone, vars} (CONTENT.md): the content or template is rendered for each;
   * the job keeps the template text and each recipient whose text differs keeps its own.
   */
  private async sendPersonal(
    userId: number,
    dto: SendBulkDto,
    job: { adhoc: boolean } & SendTiming,
    key?: string,
  ): Promise<AcceptedSmsDto> {
    const text = await this.textOf(userId, dto, () => [], true);
    const parsed: ParsedTemplate = text.parsed ?? parseOrRefuse(text.content);
    const list = personalise(dto.recipients as Record<string, unknown>[], parsed, text.content, {
      normalizePhone: (input) => normalizePhone(input, this.phonePolicy),
      checkContent: (t) => this.checkContent(t),
    });
    return this.queuePersonal(userId, dto, job, text, list, key);
  }

  /** A personalised list (send-bulk's objects or a CSV upload's rows) queued as one job. */
  private queuePersonal(
    userId: number,
    dto: ValidityRequest,
    job: { adhoc: boolean } & SendTiming,
    text: JobText,
    list: PersonalisedList,
    key?: string,
  ): Promise<AcceptedSmsDto> {
    const info = { encoding: list.encoding, segments: list.maxSegments } as ContentInfo;
    const personal = {
      contents: list.contents,
      segments: list.segments,
      totalSegments: list.totalSegments,
    };
    return this.queue(
      userId,
      'bulk',
      { ...dto, ...text, ...job, personal },
      info,
      list.phones,
      list.duplicatesRemoved,
      key,
    );
  }

  /** When a new job of `tokens` tokens would finish, for a dry run (null: no estimate). */
  async estimateFor(sender: Sender, dto: JobRequest, tokens: number): Promise<string | null> {
    const adhoc = laneFor(sender, dto);
    const at = await this.estimates.completionForNew(sender.id, adhoc, tokens);
    return Number.isFinite(at) ? new Date(at).toISOString() : null;
  }

  /**
   * The job's valid_until; 400 when its `tokens` would not be sent by then (unless
   * allow_expiry). A scheduled job's validity in seconds runs from its send_at.
   */
  private async checkedValidity(
    userId: number,
    dto: { adhoc: boolean } & SendTiming & ValidityRequest,
    tokens: number,
  ): Promise<Date | null> {
    const now = this.clock.now();
    const validUntil = validUntilOf(dto, dto.scheduled ? dto.sendAt!.getTime() : now);
    if (validUntil && !dto.allow_expiry) {
      const takes = (await this.estimates.completionForNew(userId, dto.adhoc, tokens)) - now;
      // From its send_at or its window's opening, across closed hours.
      const from = dto.holdUntil?.getTime() ?? now;
      const done = dto.window ? finishAfter(dto.window, from, takes) : from + takes;
      if (done > validUntil.getTime()) throw wouldExpire(done, validUntil);
    }
    return validUntil;
  }

  /**
   * A CSV upload's job (CONTENT.md), checked before its body is read: the lane, schedule
   * and window rules of send-bulk (a refusal costs no reading). Its row is opened in the
   * upload's transaction by `openUpload`, and settled by `finishUpload`.
   */
  prepareUpload(sender: Sender, dto: JobRequest, text: JobText): UploadJob {
    return {
      ...dto,
      ...text,
      adhoc: laneFor(sender, dto),
      ...this.schedule(dto),
      userId: sender.id,
    };
  }

  /** Opens the job's row in the upload's transaction `db`; where its rows' tags start. */
  openUpload(job: UploadJob, db: EntityManager): Promise<UploadJobStart> {
    return this.repo.openUpload(uploadFields(job, db));
  }

  /**
   * The upload's rows are in: the validity rule on its totals, the job settled
   * (MessagesRepository.finishUpload) and committed before the answer, which reads the job
   * back as every answer does.
   */
  async finishUpload(
    job: UploadJob,
    stage: { db: EntityManager; start: UploadJobStart; commit: () => Promise<void> },
    list: StagedList,
    anySuppressed: boolean,
  ): Promise<AcceptedSmsDto> {
    const tokens = this.config.smsRateUnit === 'segment' ? list.totalSegments : list.count;
    const validUntil = await this.checkedValidity(job.userId, job, tokens);
    const row = await this.repo.finishUpload(uploadFields(job, stage.db), stage.start, {
      count: list.count,
      encoding: list.encoding,
      segments: list.maxSegments,
      totalSegments: list.totalSegments,
      duplicatesRemoved: list.duplicatesRemoved,
      validUntil,
      anySuppressed,
    });
    await stage.commit();
    this.repo.committedUpload(list.count);
    const extra = { total: row.recipient_count, duplicates_removed: row.duplicates_removed };
    return toAccepted(row, await this.estimates.forJob(row.id), extra);
  }

  private async queue(
    userId: number,
    route: SendRoute,
    dto: JobText & { adhoc: boolean } & SendTiming & ValidityRequest,
    info: ContentInfo,
    phones: string[],
    dups: number,
    key?: string,
  ): Promise<AcceptedSmsDto> {
    const adhoc = dto.adhoc;
    const tokens =
      this.config.smsRateUnit === 'segment'
        ? (dto.personal?.totalSegments ?? phones.length * info.segments)
        : phones.length;
    const validUntil = await this.checkedValidity(userId, dto, tokens);
    // Two requests mean the same when they would queue the same SMS, however the JSON is
    // laid out (adhoc: true and priority "urgent" are one lane); hashed only when a key asks
    // for it (it reads every number again).
    const meaning: unknown[] = [route, phones, dto.content, adhoc];
    if (dto.sendAt) meaning.push(dto.sendAt.toISOString());
    meaning.push(...validityKey(dto));
    if (dto.window) meaning.push(dto.window);
    if (dto.template) meaning.push(dto.template);
    if (dto.personal) meaning.push(dto.personal.contents);
    const hash = () => updateJson(createHash('sha256'), meaning).digest('hex');
    const job: NewMessage = {
      userId,
      content: dto.content,
      encoding: info.encoding,
      segments: info.segments,
      adhoc,
      phones,
      duplicatesRemoved: dups,
      validUntil,
      sendAt: dto.sendAt,
      holdUntil: dto.holdUntil,
      scheduled: dto.scheduled,
      window: dto.window,
      windowClosesAt: dto.windowClosesAt,
      template: dto.template,
      personal: dto.personal,
      idempotency: key === undefined ? undefined : { key, hash: hash(), route },
    };
    if (isBatchable(job)) {
      const { row, estimate } = await this.singles.add(job);
      return toAccepted(row, estimate, acceptedExtra(route, row, phones[0]));
    }
    const outcome = await this.repo.insert(job);
    const row = 'created' in outcome ? outcome.created : await this.owned(userId, outcome.replayOf);
    const phone =
      route === 'single' && !('created' in outcome)
        ? await this.repo.firstPhone(row.id)
        : phones[0];
    return toAccepted(row, await this.estimates.forJob(row.id), acceptedExtra(route, row, phone));
  }

  private async queueSingles(jobs: NewMessage[]): Promise<ItemOutcome<Queued>[]> {
    const outcomes = await this.repo.insertSingles(jobs);
    const estimates = await this.estimates.forJobs(
      outcomes.flatMap((o) => (o.ok ? [o.value.id] : [])),
    );
    return outcomes.map((o) =>
      o.ok ? { ok: true, value: { row: o.value, estimate: estimates.get(o.value.id)! } } : o,
    );
  }

  /** A user's own jobs, or (admin) anyone's, narrowed by `scope`. */
  async list(
    q: MessageListQueryDto,
    scope: { userId?: number; text?: string; withOwner?: boolean },
  ): Promise<MessageListDto> {
    const { items, total } = await this.repo.list({
      ...scope,
      jobStatus: q.job_status,
      from: q.from,
      to: q.to,
      offset: (q.page - 1) * q.per_page,
      limit: q.per_page,
    });
    const estimates = await this.estimates.forJobs(unfinishedIds(items));
    return {
      messages: items.map((m) => toSummary(m, estimates.get(m.id) ?? NO_ESTIMATE)),
      ...pageMeta(total, q),
    };
  }

  /** A user sees only their own jobs; anyone else's answers 404, as if it did not exist. */
  async owned(userId: number, id: number): Promise<MessageRow> {
    const row = await this.repo.findById(id, userId);
    if (!row) throw notFound('Message');
    return row;
  }

  async detail(userId: number, id: number): Promise<MessageDetailDto> {
    const row = await this.owned(userId, id);
    return toDetail(row, await this.estimates.forJob(row.id));
  }

  async recipients(userId: number, id: number, q: RecipientQueryDto): Promise<RecipientListDto> {
    const job = await this.owned(userId, id);
    const { items, total } = await this.repo.recipients(
      id,
      q.status,
      (q.page - 1) * q.per_page,
      q.per_page,
    );
    const jobContent = job.personalised ? job.content : undefined;
    return { recipients: items.map((r) => toRecipient(r, jobContent)), ...pageMeta(total, q) };
  }
}

/** What of the validity makes two requests differ (absent fields add nothing, as before them). */
const validityKey = (v: ValidityRequest) =>
  v.valid_until === undefined && v.validity_seconds === undefined
    ? []
    : [v.valid_until ?? null, v.validity_seconds ?? null, v.allow_expiry ?? false];

const unfinishedIds = (rows: MessageRow[]) =>
  rows.filter((m) => UNFINISHED.includes(m.job_status)).map((m) => m.id);

/** What an accepted answer adds for its route: the number of a single, a bulk's counts. */
function acceptedExtra(route: SendRoute, row: MessageRow, phone: string) {
  return route === 'single'
    ? { recipient: phone }
    : { total: row.recipient_count, duplicates_removed: row.duplicates_removed };
}
