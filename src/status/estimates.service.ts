import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import { GroupCommit } from '../common/group-commit.js';
import { RateLimiterService } from '../rate-limit/rate-limiter.service.js';
import { estimateFor, JobEstimate, secondsUntilSent } from './eta.js';
import { EstimatesRepository } from './estimates.repository.js';

/**
 * Queue position and estimated completion, from database state only (the queue order and
 * the shared bucket), so every process gives the same answer.
 */
@Injectable()
export class EstimatesService {
  /** Concurrent answers' estimates read together: one queue read and one bucket read. */
  private readonly single = new GroupCommit<number, JobEstimate>(
    async (ids) => {
      const estimates = await this.forJobs(ids);
      return ids.map((id) => ({ ok: true, value: estimates.get(id)! }));
    },
    { maxBatch: 64, maxInFlight: 1 },
  );

  constructor(
    private readonly repo: EstimatesRepository,
    private readonly limiter: RateLimiterService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async forJobs(ids: number[]): Promise<Map<number, JobEstimate>> {
    const result = new Map<number, JobEstimate>();
    if (ids.length === 0) return result;
    const [jobs, { tokens, settings }] = await Promise.all([
      this.repo.queueOrder(ids),
      this.limiter.snapshot(),
    ]);
    const now = this.clock.now();
    const byId = new Map(jobs.map((j) => [j.id, j]));
    for (const id of ids)
      result.set(id, estimateFor(byId.get(id), tokens, settings.msgsPerSec, now));
    return result;
  }

  /** When a job not queued yet would finish (epoch ms), were it queued now. */
  async completionForNew(userId: number, urgent: boolean, tokens: number): Promise<number> {
    const [through, { tokens: inHand, settings }] = await Promise.all([
      this.repo.throughForNew(userId, urgent, tokens),
      this.limiter.snapshot(),
    ]);
    return (
      this.clock.now() + Math.ceil(secondsUntilSent(through, inHand, settings.msgsPerSec) * 1000)
    );
  }

  forJob(id: number): Promise<JobEstimate> {
    return this.single.add(id);
  }
}
