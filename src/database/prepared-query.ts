import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import type pg from 'pg';

/**
 * Runs one of the hot statements of the submission path as a named prepared statement on
 * the data source's own pool: planning each of them took as long as running it
 * (pg_stat_statements under bench/submissions: ~1 ms plan, ~1 ms execution), and TypeORM's
 * query runner added a further object graph per call. Only for statements whose generic plan
 * is as good as a custom one (no parameter changes which index is best); the claim is not
 * one of them.
 */
export async function preparedQuery<T>(
  dataSource: DataSource,
  name: string,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const pool = (dataSource.driver as PostgresDriver).master as pg.Pool;
  const result = await pool.query({ name, text, values });
  return result.rows as T[];
}
