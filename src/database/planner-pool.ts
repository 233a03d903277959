import { Logger } from '@nestjs/common';
import pg from 'pg';

/** The settings a PlannerPool's connections start with: `settings`, and JIT off. */
export const withJitOff = (settings: Record<string, string>): Record<string, string> => ({
  ...settings,
  jit: 'off',
});

/**
 * A small pool of its own whose connections start with planner settings (`-c name=value`)
 * that must hold for a few hot statements and for nothing else the app runs. Opened on first
 * use, so a process that never runs those statements opens no connection.
 *
 * JIT is always off on these connections. A plan type turned off is priced out, not
 * forbidden: a statement that still needs one (a trigger's check of a table with no index
 * for it) gets a cost of 10^10, far above jit_above_cost, and PostgreSQL then compiled it:
 * 115 ms for a one-row EXISTS in the webhook trigger that every claim fires (claims of
 * 25 ms instead of 5 in a loop of 300 over 60 000 waiting SMS).
 */
export class PlannerPool {
  private readonly logger: Logger;
  private pool?: pg.Pool;

  constructor(
    /** Read at first use: the embedded database's address is known only then. */
    private readonly databaseUrl: () => string | undefined,
    private readonly applicationName: string,
    private readonly settings: Record<string, string>,
    private readonly maxConnections: number,
  ) {
    this.logger = new Logger(applicationName);
  }

  async query<T>(text: string, values: unknown[]): Promise<T[]> {
    const result = await this.connections().query(text, values);
    return result.rows as T[];
  }

  async end(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  private connections(): pg.Pool {
    if (this.pool) return this.pool;
    const connectionString = this.databaseUrl();
    if (!connectionString) throw new Error('databaseUrl must be resolved before boot');
    const pool = new pg.Pool({
      connectionString,
      application_name: this.applicationName,
      max: this.maxConnections,
      connectionTimeoutMillis: 3000,
      idleTimeoutMillis: 30000,
      statement_timeout: 30000,
      options: Object.entries(withJitOff(this.settings))
        .map(([k, v]) => `-c ${k}=${v}`)
        .join(' '),
    });
    // An idle connection the server closes must not take the process down; the next query
    // opens another.
    pool.on('error', (err) => this.logger.warn(`idle connection lost: ${err.message}`));
    this.pool = pool;
    return pool;
  }
}
