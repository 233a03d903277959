import { Module } from '@nestjs/common';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { EstimatesRepository } from './estimates.repository.js';
import { EstimatesService } from './estimates.service.js';

@Module({
  imports: [RateLimitModule],
  providers: [EstimatesRepository, EstimatesService],
  exports: [EstimatesService],
})
export class StatusModule {}
