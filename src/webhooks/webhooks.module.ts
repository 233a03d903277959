import { DynamicModule, Module } from '@nestjs/common';
import type { QueueRole } from '../config/app-config.js';
import { QueueNotifier } from '../queue/queue-notifier.js';
import { AdminWebhooksController } from './admin-webhooks.controller.js';
import { SmsEventsController } from './sms-events.controller.js';
import { SmsEventsRepository } from './sms-events.repository.js';
import { WebhookDeliveryRepository } from './webhook-delivery.repository.js';
import { WebhookDispatcher } from './webhook-dispatcher.service.js';
import { WebhookHousekeepingScheduler } from './webhook-housekeeping.scheduler.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksRepository } from './webhooks.repository.js';
import { WebhooksService } from './webhooks.service.js';

/** Delivering: like sending SMS, not done by API-only processes (QUEUE_ROLE=api). */
const DELIVERY = [WebhookDispatcher, WebhookHousekeepingScheduler, QueueNotifier];

/**
 * Webhooks (WEBHOOKS.md): the endpoints API for everyone, and where the process sends, the
 * delivery loop with its own LISTEN connection. Events are written by the statements that
 * change jobs and SMS (see webhook-events.sql.ts and the Webhooks migration).
 */
@Module({})
export class WebhooksModule {
  static forRole(role: QueueRole): DynamicModule {
    return {
      module: WebhooksModule,
      controllers: [WebhooksController, AdminWebhooksController, SmsEventsController],
      providers: [
        WebhooksRepository,
        WebhooksService,
        WebhookDeliveryRepository,
        SmsEventsRepository,
        ...(role === 'api' ? [] : DELIVERY),
      ],
    };
  }
}
