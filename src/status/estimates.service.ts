import { Injectable } from '@nestjs/common';
import { RateLimiterService } from '../rate-limit/rate-limiter.service.js';
import { estimateFor, JobEstimate } from './eta.js';
import { EstimatesRepository } from './estimates.repository.js';

/**
 * Queue position and estimated completion, from database state only (the queue order and
 * the shared bucket), so every process gives the same answer.
 */
@Injectable()
export class EstimatesService {
  constructor(
    private readonly repo: EstimatesRepository,
    private readonly limiter: RateLimiterService,
  ) {}

  async forJobs(ids: number[]): Promise<Map<number, JobEstimate>> {
    const result = new Map<number, JobEstimate>();
    if (ids.length === 0) return result;
    const [jobs, { tokens, settings }] = await Promise.all([
      this.repo.queueOrder(ids),
      this.limiter.snapshot(),
    ]);
    const now = Date.now();
    const byId = new Map(jobs.map((j) => [j.id, j]));
    for (const id of ids)
      result.set(id, estimateFor(byId.get(id), tokens, settings.msgsPerSec, now));
    return result;
  }

  async forJob(id: number): Promise<JobEstimate> {
    return (await this.forJobs([id])).get(id)!;
  }
}
