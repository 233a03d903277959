import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { AdminQueueController } from './admin-queue.controller.js';
import { EstimatesRepository } from './estimates.repository.js';
import { EstimatesService } from './estimates.service.js';
import { QueueStatusService } from './queue-status.service.js';
import { StatusController } from './status.controller.js';
import { StatusRepository } from './status.repository.js';

@Module({
  imports: [RateLimitModule, AuthModule],
  controllers: [StatusController, AdminQueueController],
  providers: [EstimatesRepository, EstimatesService, StatusRepository, QueueStatusService],
  exports: [EstimatesService],
})
export class StatusModule {}
