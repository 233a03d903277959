import { Injectable } from '@nestjs/common';
import { QueueRepository } from './queue.repository.js';

export type QueueHealthStatus = 'up' | 'down' | 'paused';

/** The queue is "up" when some live worker in the cluster serves it. */
@Injectable()
export class QueueHealthService {
  constructor(private readonly repo: QueueRepository) {}

  async queueStatus(): Promise<QueueHealthStatus> {
    const { paused, workers } = await this.repo.liveness();
    if (paused) return 'paused';
    return workers > 0 ? 'up' : 'down';
  }
}
