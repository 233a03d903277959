/** `npm run migration:run`: applies pending migrations and exits. */
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { dataSourceOptions, runMigrationsLocked } from './data-source-options.js';
import { resolveDatabase } from './resolve-database.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const db = await resolveDatabase(config, (line) => console.log(line));
  const ds = await new DataSource(dataSourceOptions(db.url, 2)).initialize();
  try {
    const n = await runMigrationsLocked(ds, (line) => console.log(line));
    console.log(n === 0 ? 'database is up to date' : `${n} migration(s) applied`);
  } finally {
    await ds.destroy();
    await db.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
