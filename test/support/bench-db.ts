import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { onExitSync, onFailure } from './cleanup.js';

export interface BenchDatabase {
  /** Connection URL of a fresh, empty database (the app migrates it at start). */
  url: string;
  /** 'embedded' or the server part of DATABASE_URL (without credentials). */
  server: string;
  /** Drops the database (or stops the embedded server and deletes its files). Idempotent. */
  drop(): Promise<void>;
}

function databaseName(label: string): string {
  const clean = label
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 20);
  return `smspanel_bench_${clean || 'x'}_${randomBytes(4).toString('hex')}`;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function describeServer(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}`;
}

/**
 * A throwaway database for one bench run. With DATABASE_URL set, a database
 * `smspanel_bench_<label>_<random>` is created on that server (the URL's own database is only
 * used to connect) and dropped at the end; otherwise an embedded PostgreSQL is started in a
 * temporary directory, and stopped and deleted at the end. Both are also cleaned up when the
 * bench dies (uncaught error, Ctrl-C, exit).
 */
export async function benchDatabase(label: string): Promise<BenchDatabase> {
  const name = databaseName(label);
  const serverUrl = process.env.DATABASE_URL;
  return serverUrl ? onServer(serverUrl, name) : embedded(name);
}

async function onServer(serverUrl: string, name: string): Promise<BenchDatabase> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const dropSql = `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`;
  let dropped = false;
  // Last resort when the bench exits without drop(): a synchronous helper process.
  const removeExitHook = onExitSync(() => {
    if (dropped) return;
    const script =
      `const pg=require('pg');const c=new pg.Client({connectionString:process.argv[1]});` +
      `c.connect().then(()=>c.query(process.argv[2])).finally(()=>c.end())`;
    spawnSync(process.execPath, ['-e', script, serverUrl, dropSql], {
      // The project root (dist/test/support -> three up), where `pg` resolves.
      cwd: fileURLToPath(new URL('../../../', import.meta.url)),
      stdio: 'ignore',
      timeout: 10_000,
    });
  });
  const drop = async () => {
    if (dropped) return;
    const c = new pg.Client({ connectionString: serverUrl });
    await c.connect();
    try {
      await c.query(dropSql);
      dropped = true;
      removeExitHook();
      removeFailureHook();
    } finally {
      await c.end();
    }
  };
  const removeFailureHook = onFailure(drop);
  console.log(`[bench] database ${name} created on ${describeServer(serverUrl)} (DATABASE_URL)`);
  return { url: withDatabase(serverUrl, name), server: describeServer(serverUrl), drop };
}

async function embedded(name: string): Promise<BenchDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'smspanel-bench-pg-'));
  // When run as root, initdb and postgres run as the unprivileged postgres user.
  chmodSync(dir, 0o755);
  const dataDir = join(dir, 'data');
  let stopped = false;
  // Last resort: an immediate shutdown of the postmaster, then the files go.
  const removeExitHook = onExitSync(() => {
    if (stopped) return;
    try {
      const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGQUIT');
    } catch {
      // not started (or already gone)
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 200 });
  });
  const started = Date.now();
  console.log(`[bench] DATABASE_URL unset: starting an embedded PostgreSQL in ${dir}`);
  const db = await startEmbeddedPostgres(dataDir, name, (line) =>
    console.error(`[postgres] ${line}`),
  );
  console.log(`[bench] embedded PostgreSQL ready in ${Date.now() - started} ms`);
  const drop = async () => {
    if (stopped) return;
    stopped = true;
    removeFailureHook();
    try {
      await db.stop();
    } finally {
      removeExitHook();
      rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 200 });
    }
  };
  const removeFailureHook = onFailure(drop);
  return { url: db.url, server: 'embedded', drop };
}
