import { Injectable } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service.js';
import { RateLimiterService } from '../rate-limit/rate-limiter.service.js';
import { QueueStatusDto, UserQueueDto } from './dto/queue-status.dto.js';
import { EstimatesRepository, UserQueueSummary } from './estimates.repository.js';
import { secondsUntilSent } from './eta.js';
import { StatusRepository } from './status.repository.js';

@Injectable()
export class QueueStatusService {
  constructor(
    private readonly repo: StatusRepository,
    private readonly estimates: EstimatesRepository,
    private readonly limiter: RateLimiterService,
    private readonly metrics: MetricsService,
  ) {}

  async status(userId?: number): Promise<QueueStatusDto> {
    const [c, bucket, user] = await Promise.all([
      this.repo.counts(),
      this.limiter.snapshot(),
      userId === undefined ? undefined : this.estimates.userSummary(userId),
    ]);
    const { msgsPerSec, burstCapacity } = bucket.settings;
    this.metrics.queueDepth.set(c.queueDepth);
    this.metrics.tokensAvailable.set(bucket.tokens);
    this.metrics.workers.set(c.workers);
    return {
      queue_depth: c.queueDepth,
      pending_messages: c.pendingMessages,
      sending_messages: c.sendingMessages,
      oldest_pending_at: c.oldestPendingAt?.toISOString() ?? null,
      msgs_per_sec: msgsPerSec,
      burst_capacity: burstCapacity,
      tokens_available: Math.round(bucket.tokens * 1000) / 1000,
      observed_msgs_per_sec: Math.round((c.requestsLastMinute / 60) * 1000) / 1000,
      estimated_drain_seconds: Math.ceil(secondsUntilSent(c.queueDepth, bucket.tokens, msgsPerSec)),
      paused: c.paused,
      workers: c.workers,
      ...(user ? { user: userSection(user, bucket.tokens, msgsPerSec) } : {}),
    };
  }
}

function userSection(u: UserQueueSummary, tokens: number, rate: number): UserQueueDto {
  return {
    pending_messages: u.jobs,
    pending_recipients: u.remaining,
    next_estimated_complete_at:
      u.soonestThrough === null
        ? null
        : new Date(
            Date.now() + Math.ceil(secondsUntilSent(u.soonestThrough, tokens, rate) * 1000),
          ).toISOString(),
  };
}
