import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { PlannerPool } from './planner-pool.js';

/** Connections of the pool at most: a read that takes well under a millisecond. */
const MAX_CONNECTIONS = 2;

/**
 * The estimate read of jobs' places in the fair order (every submission's answer) as a
 * prepared statement on a small pool of its own that always uses the generic plan.
 * PostgreSQL kept planning it afresh otherwise (its custom plans looked cheaper), and
 * planning cost more than running: ~0.9 ms plan + ~0.7 ms execution at 20 000 waiting jobs,
 * against ~0.02 ms + ~0.35 ms with the generic plan (EXPLAIN ANALYZE EXECUTE). The plan does
 * not depend on the parameters (job ids: the same indexes whatever their values). A pool of
 * its own, because the setting would also apply to the claim's unnamed statements, whose
 * generic plan is slow.
 *
 * A generic plan is kept until the tables' statistics change, so one made while the queue
 * was empty read every job by sequential scan once thousands had come (bench/submissions:
 * 0.5 ms a read at first, 4.3 ms after 40 000 submissions, before auto-analyze came by). These
 * reads are built to go by index only (FAIRNESS.md "Cost"), so on this pool sequential
 * scans are disabled: the plan takes the index however small the table was when it was made.
 */
@Injectable()
export class GenericPlanReads implements OnApplicationShutdown {
  private readonly pool: PlannerPool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.pool = new PlannerPool(
      () => config.databaseUrl,
      'smspanel-estimates',
      { plan_cache_mode: 'force_generic_plan', enable_seqscan: 'off' },
      MAX_CONNECTIONS,
    );
  }

  query<T>(name: string, text: string, values: unknown[]): Promise<T[]> {
    return this.pool.query<T>(text, values, name);
  }

  onApplicationShutdown(): Promise<void> {
    return this.pool.end();
  }
}
