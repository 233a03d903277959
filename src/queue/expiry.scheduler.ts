import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { QueueRepository } from './queue.repository.js';

/** SMS expired a statement: a large job expires in several, none holding locks for long. */
const BATCH = 10_000;

/**
 * Expires what waits past its job's valid_until (SCHEDULING.md, validity). No request can
 * start after it anyway (the worker checks right before each one); this writes the final
 * state, so jobs finish as `expired`/`partial` and their SMS leave the queue's totals. Once a
 * second: an index probe when nothing is due.
 */
@Injectable()
export class ExpiryScheduler {
  private readonly logger = new Logger('Expiry');
  private busy = false;

  constructor(private readonly repo: QueueRepository) {}

  @Interval(1000)
  async run(): Promise<number> {
    if (this.busy) return 0;
    this.busy = true;
    let total = 0;
    try {
      for (let n = BATCH; n === BATCH; total += n) n = await this.repo.expireDue(BATCH);
      if (total > 0) this.logger.log(`${total} SMS expired (past their valid_until)`);
    } catch (err) {
      this.logger.warn(`expiry failed: ${(err as Error).message}`);
    } finally {
      this.busy = false;
    }
    return total;
  }
}
