import { Logger } from '@nestjs/common';
import { QueueRepository, SendResult } from './queue.repository.js';

const MAX_BATCH = 1000;
const RETRY_MS = [200, 500, 1000, 2000, 5000];

/**
 * Writes send results in batches without adding delay: the results of one turn of the event
 * loop are written together, and whatever arrives while a write is under way goes into the
 * next write. At low rates that is one row per statement; at high rates, hundreds. A failed
 * write (database away) is retried; results are kept until written.
 */
export class ResultRecorder {
  private readonly logger = new Logger('ResultRecorder');
  private pending: SendResult[] = [];
  private running?: Promise<void>;

  constructor(
    private readonly repo: QueueRepository,
    private readonly owner: string,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  add(result: SendResult): void {
    this.pending.push(result);
    // Not at once but after this turn's other results: a claim's sends finish together, and
    // writing the first alone cost a statement as dear as a full one (it walks every leased
    // row); bench/dispatch with 100 users: 270-280 writes for 200 claims, 200 with the wait.
    this.running ??= afterThisTurn()
      .then(() => this.drain())
      .finally(() => (this.running = undefined));
  }

  /** Resolves when everything added so far is written. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    let failures = 0;
    while (this.pending.length > 0) {
      const batch = this.pending.slice(0, MAX_BATCH);
      try {
        await this.repo.record(this.owner, batch);
        this.pending.splice(0, batch.length);
        failures = 0;
      } catch (err) {
        const wait = RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)];
        this.logger.warn(
          `recording ${batch.length} result(s) failed (${(err as Error).message}); retry in ${wait} ms`,
        );
        await this.sleep(wait);
      }
    }
  }
}

const afterThisTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
