import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AppError, notFound } from '../common/app-error.js';
import { pageMeta } from '../common/pagination.dto.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { EstimatesService } from '../status/estimates.service.js';
import {
  AcceptedSmsDto,
  MessageDetailDto,
  MessageListDto,
  RecipientListDto,
} from './dto/message.dto.js';
import { MessageListQueryDto, RecipientQueryDto } from './dto/message-query.dto.js';
import { SendBulkDto, SendSmsDto } from './dto/send-sms.dto.js';
import { toAccepted, toDetail, toRecipient, toSummary } from './message.mapper.js';
import { MessageRow, UNFINISHED } from './message-row.js';
import { MessagesRepository, SendRoute } from './messages.repository.js';
import { normalizePhone, normalizeRecipients, PhonePolicy } from './phone-numbers.js';
import { analyzeContent, ContentInfo } from './sms-encoding.js';

/** NUL (PostgreSQL text cannot hold it) and lone surrogates (not valid UTF-8, silently mangled). */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

@Injectable()
export class MessagesService {
  private readonly phonePolicy: PhonePolicy;

  constructor(
    private readonly repo: MessagesRepository,
    private readonly estimates: EstimatesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.phonePolicy = {
      allowedCountries: config.smsAllowedCountries,
      defaultCountry: config.smsDefaultCountry,
    };
  }

  private checkContent(content: string): ContentInfo {
    if (content.trim() === '') {
      throw new AppError(400, 'VALIDATION_ERROR', 'content must not be empty', [
        { field: 'content', message: 'content must not be empty' },
      ]);
    }
    if (UNSTORABLE.test(content)) {
      throw new AppError(400, 'VALIDATION_ERROR', 'content contains an invalid character', [
        { field: 'content', message: 'content must not contain NUL or unpaired UTF-16 surrogates' },
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

  async sendOne(userId: number, dto: SendSmsDto, idempotencyKey?: string): Promise<AcceptedSmsDto> {
    const info = this.checkContent(dto.content);
    const phone = normalizePhone(dto.recipient, this.phonePolicy);
    if (!phone.ok) {
      throw new AppError(400, 'INVALID_PHONE_FORMAT', 'Invalid phone number', [
        { field: 'recipient', value: dto.recipient, message: phone.message },
      ]);
    }
    return this.queue(userId, 'single', dto, info, [phone.e164], 0, idempotencyKey);
  }

  async sendBulk(
    userId: number,
    dto: SendBulkDto,
    idempotencyKey?: string,
  ): Promise<AcceptedSmsDto> {
    if (dto.recipients.length > this.config.smsMaxBulkRecipients) {
      throw new AppError(
        413,
        'PAYLOAD_TOO_LARGE',
        `At most ${this.config.smsMaxBulkRecipients} recipients per request (got ${dto.recipients.length})`,
      );
    }
    const info = this.checkContent(dto.content);
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
      userId,
      'bulk',
      dto,
      info,
      list.valid,
      list.duplicatesRemoved,
      idempotencyKey,
    );
  }

  private async queue(
    userId: number,
    route: SendRoute,
    dto: { content: string; adhoc?: boolean },
    info: ContentInfo,
    phones: string[],
    dups: number,
    key?: string,
  ): Promise<AcceptedSmsDto> {
    const adhoc = dto.adhoc ?? false;
    // Two requests mean the same when they would queue the same SMS, however the JSON is
    // laid out; hashed only when a key asks for it (it reads every number again).
    const hash = () =>
      createHash('sha256')
        .update(JSON.stringify([route, phones, dto.content, adhoc]))
        .digest('hex');
    const outcome = await this.repo.insert({
      userId,
      content: dto.content,
      encoding: info.encoding,
      segments: info.segments,
      adhoc,
      phones,
      duplicatesRemoved: dups,
      idempotency: key === undefined ? undefined : { key, hash: hash(), route },
    });
    const row = 'created' in outcome ? outcome.created : await this.owned(userId, outcome.replayOf);
    const extra =
      route === 'single'
        ? { recipient: 'created' in outcome ? phones[0] : await this.repo.firstPhone(row.id) }
        : { total: row.recipient_count, duplicates_removed: row.duplicates_removed };
    return toAccepted(row, await this.estimates.forJob(row.id), extra);
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
    const none = { queue_position: null, estimated_complete_at: null };
    return {
      messages: items.map((m) => toSummary(m, estimates.get(m.id) ?? none)),
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
    await this.owned(userId, id);
    const { items, total } = await this.repo.recipients(
      id,
      q.status,
      (q.page - 1) * q.per_page,
      q.per_page,
    );
    return { recipients: items.map(toRecipient), ...pageMeta(total, q) };
  }
}

const unfinishedIds = (rows: MessageRow[]) =>
  rows.filter((m) => UNFINISHED.includes(m.job_status)).map((m) => m.id);
