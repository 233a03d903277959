import { join } from 'node:path';
import { AppConfig } from '../config/app-config.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

export interface ResolvedDatabase {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/** DATABASE_URL when set; otherwise the embedded cluster in `<DATA_DIR>/postgres`. */
export async function resolveDatabase(
  config: AppConfig,
  log: (line: string) => void,
): Promise<ResolvedDatabase> {
  if (config.databaseUrl) {
    return { url: config.databaseUrl, embedded: false, stop: async () => undefined };
  }
  const dir = join(config.dataDir, 'postgres');
  log(`DATABASE_URL is not set: starting embedded PostgreSQL in ${dir}`);
  const db = await startEmbeddedPostgres(dir, 'smspanel', log);
  return { url: db.url, embedded: true, stop: db.stop };
}
