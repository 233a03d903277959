import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { QUEUE_HEALTH } from '../health/queue-health.js';
import { QueueControlModule } from '../queue-control/queue-control.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { AdminQueueController } from './admin-queue.controller.js';
import { EstimatesRepository } from './estimates.repository.js';
import { EstimatesService } from './estimates.service.js';
import { QueueHealthService } from './queue-health.service.js';
import { QueueStatusService } from './queue-status.service.js';
import { StatusController } from './status.controller.js';
import { StatusRepository } from './status.repository.js';

@Module({
  imports: [RateLimitModule, AuthModule, QueueControlModule],
  controllers: [StatusController, AdminQueueController],
  providers: [
    EstimatesRepository,
    EstimatesService,
    StatusRepository,
    QueueStatusService,
    { provide: QUEUE_HEALTH, useClass: QueueHealthService },
  ],
  exports: [EstimatesService, QUEUE_HEALTH],
})
export class StatusModule {}
