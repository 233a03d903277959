import { Inject, Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { SmsEventsRepository } from './sms-events.repository.js';
import { WebhookDeliveryRepository } from './webhook-delivery.repository.js';

/**
 * Gives up deliveries past their 24 h whatever happened to them; drops webhook events, their
 * delivery log and the SMS attempts log (event history) after EVENT_RETENTION_DAYS.
 */
@Injectable()
export class WebhookHousekeepingScheduler {
  private readonly logger = new Logger('WebhookHousekeeping');

  constructor(
    private readonly repo: WebhookDeliveryRepository,
    private readonly history: SmsEventsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Interval(60_000)
  async run(): Promise<void> {
    const days = this.config.eventRetentionDays;
    await this.repo
      .sweep(days)
      .catch((err: Error) => this.logger.warn(`webhook housekeeping failed: ${err.message}`));
    await this.history
      .prune(days)
      .catch((err: Error) => this.logger.warn(`event history pruning failed: ${err.message}`));
  }
}
