import { Injectable } from '@nestjs/common';
import { DeadLetterRow, QueueControlRepository } from './queue-control.repository.js';

/**
 * The queue's public controls, for the API modules: pause and resume the cluster, cancel and
 * retry a job (`userId` limits it to that owner's jobs; undefined for admins), dead letters.
 * Every write to the queue's tables stays inside this module.
 */
@Injectable()
export class QueueControlService {
  constructor(private readonly repo: QueueControlRepository) {}

  pause(): Promise<void> {
    return this.repo.setPaused(true);
  }

  resume(): Promise<void> {
    return this.repo.setPaused(false);
  }

  cancel(jobId: number, userId: number | undefined): Promise<void> {
    return this.repo.cancel(jobId, userId);
  }

  retry(jobId: number, userId: number | undefined): Promise<void> {
    return this.repo.retry(jobId, userId);
  }

  deadLetters(offset: number, limit: number): Promise<{ items: DeadLetterRow[]; total: number }> {
    return this.repo.deadLetters(offset, limit);
  }
}
