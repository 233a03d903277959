import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { QueueRepository } from './queue.repository.js';

const HOUR = 3_600_000;

/** Drops the queue's history that has outlived its purpose: send statistics, dead workers. */
@Injectable()
export class QueueHousekeepingScheduler {
  private readonly logger = new Logger('QueueHousekeeping');

  constructor(private readonly repo: QueueRepository) {}

  @Interval(HOUR)
  async run(): Promise<void> {
    await this.repo
      .pruneHistory()
      .catch((err: Error) => this.logger.warn(`housekeeping failed: ${err.message}`));
  }
}
