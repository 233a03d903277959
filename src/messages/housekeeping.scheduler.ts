import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

const HOUR = 3_600_000;

/** Drops what has outlived its purpose: idempotency keys after 24 h, send statistics after 7 days. */
@Injectable()
export class HousekeepingScheduler {
  private readonly logger = new Logger('Housekeeping');

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Interval(HOUR)
  async run(): Promise<void> {
    try {
      await this.dataSource.query(
        `DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours'`,
      );
      await this.dataSource.query(
        `DELETE FROM send_stats WHERE second < now() - interval '7 days'`,
      );
    } catch (err) {
      this.logger.warn(`housekeeping failed: ${(err as Error).message}`);
    }
  }
}
