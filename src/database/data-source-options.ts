import { DataSource, DataSourceOptions } from 'typeorm';
import { allMigrations } from '../../migrations/index.js';
import { allEntities } from './entities.js';

export function dataSourceOptions(url: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: allEntities,
    migrations: allMigrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    applicationName: 'smspanel',
    extra: {
      max: poolSize,
      // A request must fail fast (503) rather than hang while the database is away.
      connectionTimeoutMillis: 3000,
      idleTimeoutMillis: 30000,
      statement_timeout: 30000,
    },
  };
}

/** Arbitrary but fixed: every smspanel process migrates under this advisory lock. */
const MIGRATION_LOCK_KEY = 7_356_026_001;

/**
 * Runs pending migrations holding a PostgreSQL advisory lock, so processes that start
 * together do not race to apply the same migration.
 */
export async function runMigrationsLocked(
  ds: DataSource,
  log: (line: string) => void = () => undefined,
): Promise<number> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await ds.runMigrations({ transaction: 'each' });
    for (const m of applied) log(`migration applied: ${m.name}`);
    return applied.length;
  } finally {
    await runner
      .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
      .catch(() => undefined);
    await runner.release();
  }
}
