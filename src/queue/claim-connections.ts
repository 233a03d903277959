import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { PlannerPool } from '../database/planner-pool.js';

/** A worker claims one batch at a time; a second connection covers a claim beside a stop. */
const MAX_CONNECTIONS = 2;

/** Planner settings of the claim's connections (JIT goes off as well: PlannerPool). */
export const CLAIM_PLANNER_SETTINGS = { enable_bitmapscan: 'off', enable_seqscan: 'off' };

/**
 * The connections the claim runs on: bitmap and sequential scans off, so its only plan is the
 * walk of recipients_claim_idx in (priority, vtag) order that stops after the batch, whatever
 * the statistics say. Right after a large bulk was queued, before auto-analyze had come by,
 * PostgreSQL took recipients for nearly empty and, for every claim of 128, read all pending
 * rows by bitmap scan and sorted them (bench/high-rate, 100 users: claims 50-60 ms instead of
 * 14, the rate 84-88 % of the configured one and rising as the backlog shrank; with an
 * ANALYZE after the enqueue, 100 %). The settings are on the connection rather than SET
 * LOCAL in a transaction because the claim moves the lane's virtual clock: that row stays
 * locked until commit, and a transaction's extra round trips made every other worker's
 * claim wait for it (86 ms claims, 69 % of the rate).
 */
@Injectable()
export class ClaimConnections implements OnApplicationShutdown {
  private readonly pool: PlannerPool;

  constructor(@Inject(APP_CONFIG) config: Pick<AppConfig, 'databaseUrl'>) {
    this.pool = new PlannerPool(
      () => config.databaseUrl,
      'smspanel-claims',
      CLAIM_PLANNER_SETTINGS,
      MAX_CONNECTIONS,
    );
  }

  query<T>(text: string, values: unknown[]): Promise<T[]> {
    return this.pool.query<T>(text, values);
  }

  onApplicationShutdown(): Promise<void> {
    return this.pool.end();
  }
}
