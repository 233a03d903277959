import { Inject, Injectable } from '@nestjs/common';
import { conflict, notFound, validationError } from '../common/app-error.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { pageMeta, PaginationQueryDto } from '../common/pagination.dto.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import {
  AdminWebhookListDto,
  CreatedWebhookDto,
  DeliveryDto,
  DeliveryListDto,
  QueuedEventDto,
  WebhookDto,
  WebhookListDto,
  WebhookSecretDto,
} from './dto/webhook.dto.js';
import {
  AdminWebhookQueryDto,
  CreateWebhookDto,
  DeliveryQueryDto,
  UpdateWebhookDto,
} from './dto/webhook-input.dto.js';
import { normalizeEvents } from './event-types.js';
import { newSecret } from './signature.js';
import { hostProblem, urlFormProblem } from './url-guard.js';
import { toAdminWebhook, toDelivery, toWebhook } from './webhook.mapper.js';
import { EndpointRow, WebhooksRepository } from './webhooks.repository.js';

/** Endpoints per user: enough for any integration, a bound on fan-out per event. */
export const MAX_ENDPOINTS_PER_USER = 20;

/**
 * Webhook endpoints as their owners manage them (WEBHOOKS.md). Every route but the admin
 * listing is the owner's alone: another user's endpoint answers 404, as if it did not exist.
 */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly repo: WebhooksRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The URL's form, and (unless WEBHOOK_ALLOW_PRIVATE) where its host resolves to. */
  private async checkUrl(url: string): Promise<void> {
    const problem =
      urlFormProblem(url) ?? (this.config.webhookAllowPrivate ? null : await hostProblem(url));
    if (problem) throw validationError(problem, [{ field: 'url', message: problem }]);
  }

  async create(userId: number, dto: CreateWebhookDto): Promise<CreatedWebhookDto> {
    await this.checkUrl(dto.url);
    if ((await this.repo.countOwned(userId)) >= MAX_ENDPOINTS_PER_USER) {
      throw conflict(`At most ${MAX_ENDPOINTS_PER_USER} webhook endpoints per user`);
    }
    const secret = newSecret();
    const row = await this.repo.create(userId, {
      url: dto.url,
      events: normalizeEvents(dto.events),
      description: dto.description ?? null,
      secret,
    });
    return { ...toWebhook(row), secret };
  }

  async list(userId: number, q: PaginationQueryDto): Promise<WebhookListDto> {
    const { items, total } = await this.repo.list({ userId }, ...page(q));
    return { webhooks: items.map(toWebhook), ...pageMeta(total, q) };
  }

  async listAll(q: AdminWebhookQueryDto): Promise<AdminWebhookListDto> {
    const { items, total } = await this.repo.list(
      { userId: q.user_id, withOwner: true },
      ...page(q),
    );
    return { webhooks: items.map(toAdminWebhook), ...pageMeta(total, q) };
  }

  private async owned(userId: number, id: number): Promise<EndpointRow> {
    const row = await this.repo.find(id, userId);
    if (!row) throw notFound('Webhook');
    return row;
  }

  async get(userId: number, id: number): Promise<WebhookDto> {
    return toWebhook(await this.owned(userId, id));
  }

  async update(userId: number, id: number, dto: UpdateWebhookDto): Promise<WebhookDto> {
    await this.owned(userId, id);
    if (dto.url !== undefined) await this.checkUrl(dto.url);
    const row = await this.repo.update(id, userId, {
      ...dto,
      events: dto.events && normalizeEvents(dto.events),
    });
    if (!row) throw notFound('Webhook');
    return toWebhook(row);
  }

  async delete(userId: number, id: number): Promise<void> {
    if (!(await this.repo.delete(id, userId))) throw notFound('Webhook');
  }

  async rotateSecret(userId: number, id: number): Promise<WebhookSecretDto> {
    const secret = newSecret();
    if (!(await this.repo.setSecret(id, userId, secret))) throw notFound('Webhook');
    return { secret };
  }

  async ping(userId: number, id: number): Promise<QueuedEventDto> {
    const row = await this.owned(userId, id);
    if (!row.is_active) throw conflict('The endpoint is not active; turn it on first');
    return { event_id: await this.repo.ping(row, new Date(this.clock.now())) };
  }

  async deliveries(userId: number, id: number, q: DeliveryQueryDto): Promise<DeliveryListDto> {
    await this.owned(userId, id);
    const { items, total } = await this.repo.deliveries(id, q.status, ...page(q));
    return { deliveries: items.map(toDelivery), ...pageMeta(total, q) };
  }

  async redeliver(userId: number, id: number, deliveryId: number): Promise<DeliveryDto> {
    await this.owned(userId, id);
    const row = await this.repo.redeliver(id, String(deliveryId));
    if (row === null) throw notFound('Delivery');
    if (row === 'busy') throw conflict('The delivery is being attempted right now');
    return toDelivery(row);
  }
}

const page = (q: PaginationQueryDto): [number, number] => [(q.page - 1) * q.per_page, q.per_page];
