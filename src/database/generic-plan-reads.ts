import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

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
  private readonly logger = new Logger('GenericPlanReads');
  private pool?: pg.Pool;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async query<T>(name: string, text: string, values: unknown[]): Promise<T[]> {
    const result = await this.connections().query({ name, text, values });
    return result.rows as T[];
  }

  private connections(): pg.Pool {
    if (this.pool) return this.pool;
    if (!this.config.databaseUrl) throw new Error('databaseUrl must be resolved before boot');
    const pool = new pg.Pool({
      connectionString: this.config.databaseUrl,
      application_name: 'smspanel-estimates',
      max: MAX_CONNECTIONS,
      connectionTimeoutMillis: 3000,
      idleTimeoutMillis: 30000,
      statement_timeout: 30000,
      options: '-c plan_cache_mode=force_generic_plan -c enable_seqscan=off',
    });
    // An idle connection the server closes must not take the process down; the next query
    // opens another.
    pool.on('error', (err) => this.logger.warn(`idle connection lost: ${err.message}`));
    this.pool = pool;
    return pool;
  }

  async onApplicationShutdown(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }
}
