import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { testServerUrl } from './support/server-url.js';
import { createTestApp, TestApp } from './support/test-app.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** Runs `sql` on the server's maintenance database, outside the app's own database. */
async function onServer(sql: string, params: unknown[] = []): Promise<void> {
  const admin = new pg.Client({ connectionString: testServerUrl() });
  await admin.connect();
  try {
    await admin.query(sql, params);
  } finally {
    await admin.end();
  }
}

/** Answer time of one request, in milliseconds. */
async function timed<T>(fn: () => PromiseLike<T>): Promise<[T, number]> {
  const started = Date.now();
  const result = await fn();
  return [result, Date.now() - started];
}

describe('Health probes (e2e)', () => {
  let t: TestApp;
  let blocked = false;

  beforeAll(async () => {
    // Its own database (createTestApp makes one), so cutting it off harms no other test.
    t = await createTestApp({ LOG_LEVEL: 'fatal' }, 'health');
  });
  afterAll(async () => {
    // Connections are allowed again before the database is dropped.
    if (blocked) await onServer(`ALTER DATABASE "${t.db.name}" WITH ALLOW_CONNECTIONS true`);
    await t?.close();
  });

  describe('with the database up', () => {
    it('GET /api/health answers a bare report with every check up', async () => {
      const res = await t.http().get('/api/health').expect(200);
      expect(res.body).toEqual({
        status: 'ok',
        timestamp: expect.any(String),
        version,
        checks: { database: 'up', queue: expect.any(String) },
      });
      expect(version).toBe('0.26.0');
      expect(Math.abs(Date.parse(res.body.timestamp) - Date.now())).toBeLessThan(60_000);
      expect(res.body.checks.queue).not.toBe('down');
      expect(res.headers['x-request-id']).toEqual(expect.any(String));
    });

    it('GET /api/health/live answers {status: alive}', async () => {
      const res = await t.http().get('/api/health/live').expect(200);
      expect(res.body).toEqual({ status: 'alive' });
    });

    it('GET /api/health/ready answers {status: ready}', async () => {
      const res = await t.http().get('/api/health/ready').expect(200);
      expect(res.body).toEqual({ status: 'ready' });
    });

    it('needs no token', async () => {
      for (const path of ['/api/health', '/api/health/live', '/api/health/ready']) {
        const res = await t.http().get(path).set('Authorization', 'Bearer not-a-token');
        expect(res.status).toBe(200);
      }
    });
  });

  describe('with the database unavailable', () => {
    beforeAll(async () => {
      // Terminating backends alone is not enough: the pool would reconnect at once.
      await onServer(`ALTER DATABASE "${t.db.name}" WITH ALLOW_CONNECTIONS false`);
      blocked = true;
      await onServer(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [t.db.name],
      );
    });

    it('GET /api/health answers 503 with the database down, within 5 s', async () => {
      const [res, ms] = await timed(() => t.http().get('/api/health'));
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        status: 'error',
        timestamp: expect.any(String),
        version,
        checks: { database: 'down', queue: expect.any(String) },
      });
      expect(ms).toBeLessThan(5000);
    });

    it('GET /api/health/ready answers 503, within 5 s', async () => {
      const [res, ms] = await timed(() => t.http().get('/api/health/ready'));
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ status: 'not_ready' });
      expect(ms).toBeLessThan(5000);
    });

    it('GET /api/health/live still answers 200: the process is alive', async () => {
      const res = await t.http().get('/api/health/live').expect(200);
      expect(res.body).toEqual({ status: 'alive' });
    });

    it('an API call answers 503 SERVICE_UNAVAILABLE, not 401 or 500', async () => {
      const [res, ms] = await timed(() =>
        t.http().get('/api/auth/me').set('Authorization', 'Bearer smsp_some-token-value'),
      );
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        success: false,
        error: {
          code: 'SERVICE_UNAVAILABLE',
          message: expect.any(String),
          request_id: expect.any(String),
        },
      });
      expect(res.headers['retry-after']).toBeDefined();
      expect(ms).toBeLessThan(5000);
    });
  });
});
