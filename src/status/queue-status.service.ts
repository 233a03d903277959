import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
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
    @Inject(CLOCK) private readonly clock: Clock,
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
      scheduled_messages: c.scheduledMessages,
      scheduled_recipients: c.scheduledRecipients,
      oldest_pending_at: c.oldestPendingAt?.toISOString() ?? null,
      msgs_per_sec: msgsPerSec,
      burst_capacity: burstCapacity,
      tokens_available: Math.round(bucket.tokens * 1000) / 1000,
      observed_msgs_per_sec: Math.round((c.requestsLastMinute / 60) * 1000) / 1000,
      estimated_drain_seconds: Math.ceil(
        secondsUntilSent(c.queueTokens, bucket.tokens, msgsPerSec),
      ),
      paused: c.paused,
      workers: c.workers,
      lanes: { urgent: { queue_depth: c.urgentDepth }, normal: { queue_depth: c.normalDepth } },
      active_users: c.activeUsers,
      ...(user ? { user: userSection(user, bucket.tokens, msgsPerSec, this.clock.now()) } : {}),
    };
  }
}

function userSection(u: UserQueueSummary, tokens: number, rate: number, now: number): UserQueueDto {
  return {
    pending_messages: u.jobs,
    pending_recipients: u.remaining,
    share: Math.round(u.share * 1000) / 1000,
    next_estimated_complete_at:
      u.soonestThrough === null
        ? null
        : new Date(
            now + Math.ceil(secondsUntilSent(u.soonestThrough, tokens, rate) * 1000),
          ).toISOString(),
  };
}
