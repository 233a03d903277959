import { Injectable } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service.js';
import { RateLimiterService } from '../rate-limit/rate-limiter.service.js';
import { QueueStatusDto, UserQueueDto } from './dto/queue-status.dto.js';
import { EstimatesRepository } from './estimates.repository.js';
import { QueueSnapshotJob, secondsUntilSent } from './eta.js';
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
    const [c, bucket, jobs] = await Promise.all([
      this.repo.counts(),
      this.limiter.snapshot(),
      userId === undefined ? undefined : this.estimates.queueOrder(undefined, userId),
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
      ...(jobs ? { user: userSection(jobs, bucket.tokens, msgsPerSec) } : {}),
    };
  }
}

function userSection(jobs: QueueSnapshotJob[], tokens: number, rate: number): UserQueueDto {
  // The user's job that finishes first is the one with the fewest SMS up to its end.
  const soonest = Math.min(...jobs.map((j) => j.remainingThrough));
  return {
    pending_messages: jobs.length,
    pending_recipients: jobs.reduce((sum, j) => sum + j.remaining, 0),
    next_estimated_complete_at: jobs.length
      ? new Date(
          Date.now() + Math.ceil(secondsUntilSent(soonest, tokens, rate) * 1000),
        ).toISOString()
      : null,
  };
}
