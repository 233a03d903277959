import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions, runMigrationsLocked } from '../../src/database/data-source-options.js';
import { testServerUrl } from './server-url.js';

export interface TestDatabase {
  name: string;
  url: string;
  /** A migrated DataSource on the database, for direct SQL in tests. */
  dataSource: DataSource;
  /** Runs `close` (ending a pool of the test's own, say) before the database is dropped. */
  beforeDrop(close: () => Promise<void>): void;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * A fresh database for one test file, created on the run's server and migrated. Tests only
 * ever write to databases made here, named `smspanel_test_<label>_<random>`, and drop only
 * those: never the server's own database or real data.
 */
export async function createTestDatabase(label = 'db'): Promise<TestDatabase> {
  const server = testServerUrl();
  const name = `smspanel_test_${label
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = withDatabase(server, name);
  const dataSource = await new DataSource(dataSourceOptions(url, 4)).initialize();
  await runMigrationsLocked(dataSource);
  const closers: (() => Promise<void>)[] = [];
  return {
    name,
    url,
    dataSource,
    beforeDrop(close) {
      closers.push(close);
    },
    async drop() {
      await Promise.all(closers.splice(0).map((close) => close()));
      if (dataSource.isInitialized) await dataSource.destroy();
      const c = new pg.Client({ connectionString: server });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}
