import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { MessagesRepository } from './messages.repository.js';

const HOUR = 3_600_000;

/** Drops idempotency keys after 24 h (a repeated request is then a new job). */
@Injectable()
export class HousekeepingScheduler {
  private readonly logger = new Logger('Housekeeping');

  constructor(private readonly repo: MessagesRepository) {}

  @Interval(HOUR)
  async run(): Promise<void> {
    await this.repo
      .pruneIdempotencyKeys()
      .catch((err: Error) => this.logger.warn(`housekeeping failed: ${err.message}`));
  }
}
