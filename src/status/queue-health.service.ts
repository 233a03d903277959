import { Injectable } from '@nestjs/common';
import type { QueueHealth } from '../health/queue-health.js';
import { StatusRepository } from './status.repository.js';

/** The queue is "up" when some live worker in the cluster serves it. */
@Injectable()
export class QueueHealthService implements QueueHealth {
  constructor(private readonly repo: StatusRepository) {}

  async queueStatus(): Promise<'up' | 'down' | 'paused'> {
    const c = await this.repo.counts();
    if (c.paused) return 'paused';
    return c.workers > 0 ? 'up' : 'down';
  }
}
