import type { SuppressionsService } from '../suppressions/suppressions.service.js';

const BATCH = 5_000;

/**
 * Counts how many of an upload's numbers are on the suppression list (the report's
 * `suppressed`) as they stream by: a batch at a time, so neither the numbers nor one huge
 * query is ever held.
 */
export class SuppressedCounter {
  count = 0;
  private batch: string[] = [];

  constructor(private readonly suppressions: SuppressionsService) {}

  /** A promise only when a batch is checked (the CSV reader then waits for it). */
  add(phone: string): void | Promise<void> {
    this.batch.push(phone);
    if (this.batch.length >= BATCH) return this.flush();
  }

  async flush(): Promise<void> {
    const phones = this.batch;
    this.batch = [];
    if (phones.length > 0) this.count += await this.suppressions.suppressedAmong(phones);
  }
}
