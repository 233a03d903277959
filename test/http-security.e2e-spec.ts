import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { countRows, hkMobiles, sendBulk, sendOne } from './fixtures/messages.js';
import { adminSession, bearer, createUser, TestUser } from './fixtures/users.js';
import { createTestApp, TEST_ADMIN, TestApp } from './support/test-app.js';

const METRICS_TOKEN = 'metrics-scrape-token-0123456789';
const KB = 1024;

interface EarlyAnswer {
  status: number;
  body: string;
  /** Body bytes the client had written when the answer came. */
  written: number;
}

/**
 * POSTs `declared` bytes of body but writes only the first 64 KB, then waits: an answer can
 * only come from a server that decided without reading the body.
 */
function postWithoutFinishing(
  port: number,
  path: string,
  declared: number,
  headers: Record<string, string> = {},
): Promise<EarlyAnswer> {
  return new Promise((resolve, reject) => {
    let written = 0;
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path,
        headers: {
          'content-type': 'application/json',
          'content-length': String(declared),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString(), written });
          req.destroy();
        });
      },
    );
    // The server may close the connection after answering; that is not a failure.
    req.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ECONNRESET' || err.code === 'EPIPE' ? undefined : reject(err),
    );
    const chunk = Buffer.from(`{"recipients":["${'1'.repeat(64 * KB - 20)}`);
    req.write(chunk);
    written += chunk.length;
    // Failing after a while rather than hanging: a server that waits for the body never answers.
    setTimeout(() => {
      req.destroy();
      reject(new Error('no answer within 20 s: the server waits for the rest of the body'));
    }, 20_000).unref();
  });
}

describe('HTTP hardening (e2e)', () => {
  let t: TestApp;
  let user: TestUser;
  let port: number;
  const logLines: string[] = [];

  beforeAll(async () => {
    t = await createTestApp(
      { QUEUE_ROLE: 'api', LOG_LEVEL: 'trace', METRICS_TOKEN },
      'httpsec',
      undefined,
      { write: (line: string) => void logLines.push(line) },
    );
    user = await createUser(t);
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => t?.close());

  describe('Cache-Control', () => {
    it('is no-store, without an ETag, on every /api answer, errors included', async () => {
      const answers = await Promise.all([
        t.http().get('/api/auth/me').set(bearer(user.apiToken)),
        t.http().get('/api/auth/me'),
        t.http().get('/api/nowhere'),
        t.http().get('/api/health/live'),
        t.http().get('/api/queue/status'),
        sendOne(t, user.apiToken, { recipient: 'nope', content: 'x' }),
        t
          .http()
          .post('/api/sms')
          .set(bearer(user.apiToken))
          .set('Content-Type', 'application/json')
          .send('{'),
        t
          .http()
          .post('/api/sms')
          .set(bearer(user.apiToken))
          .set('Content-Type', 'text/plain')
          .send('x'),
        t
          .http()
          .post('/api/sms/send-bulk')
          .send({ recipients: ['+85291234567'], content: 'x' }),
      ]);
      expect(answers.map((a) => a.status)).toEqual([200, 401, 404, 200, 200, 400, 400, 415, 401]);
      for (const a of answers) {
        expect(a.headers['cache-control']).toBe('no-store');
        expect(a.headers.etag).toBeUndefined();
      }
    });
  });

  describe('body limits', () => {
    it('answers 413 to a 200 KB body on a route other than bulk, writing nothing', async () => {
      const before = await countRows(t);
      const res = await sendOne(t, user.apiToken, {
        recipient: '+85291234567',
        content: 'a'.repeat(200 * KB),
      });
      expect(res.status).toBe(413);
      expect(res.body).toEqual({
        success: false,
        error: { code: 'PAYLOAD_TOO_LARGE', message: 'Request body is too large' },
      });
      expect(await countRows(t)).toEqual(before);
      const admin = await adminSession(t);
      const users = await t
        .http()
        .post('/api/admin/users')
        .set(bearer(admin))
        .send({ username: 'biggy', password: 'p'.repeat(70 * KB) });
      expect(users.status).toBe(413);
    });

    it('reads bodies just under 64 KB on those routes', async () => {
      const res = await sendOne(t, user.apiToken, {
        recipient: '+85291234567',
        content: 'a'.repeat(63 * KB),
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('CONTENT_TOO_LONG');
    });

    it.each([
      ['no token', {}],
      ['an unknown API token', bearer('smsp_not-a-real-token')],
      ['a forged session token', bearer('eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl')],
      ['another scheme', { Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }],
    ])('refuses a 5 MB bulk with %s (401) before reading its body', async (_, headers) => {
      const res = await postWithoutFinishing(port, '/api/sms/send-bulk', 5_000_000, headers);
      expect(res.status).toBe(401);
      expect(res.written).toBeLessThan(5_000_000);
      expect(JSON.parse(res.body)).toEqual({
        success: false,
        error: expect.objectContaining({ code: 'UNAUTHORIZED' }),
      });
    });

    it('still takes a big bulk (well over 64 KB) with a valid token', async () => {
      const recipients = hkMobiles(20_000);
      expect(JSON.stringify(recipients).length).toBeGreaterThan(256 * KB);
      const res = await sendBulk(t, user.sessionToken, { recipients, content: 'big bulk' });
      expect(res.status).toBe(202);
      expect(res.body.data.total).toBe(20_000);
    });
  });

  describe('/metrics with METRICS_TOKEN', () => {
    it('answers 401 without the token or with another, 200 with it', async () => {
      for (const headers of [
        {},
        bearer('wrong'),
        bearer(METRICS_TOKEN + 'x'),
        bearer(user.apiToken),
      ]) {
        const res = await t.http().get('/metrics').set(headers);
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('UNAUTHORIZED');
        expect(res.text).not.toContain('smspanel_');
      }
      const ok = await t.http().get('/metrics').set(bearer(METRICS_TOKEN));
      expect(ok.status).toBe(200);
      expect(ok.text).toContain('smspanel_queue_depth');
    });
  });

  describe('/docs', () => {
    it('has a content security policy that lets Swagger UI load its own files only', async () => {
      const page = await t.http().get('/docs/');
      expect(page.status).toBe(200);
      const csp = String(page.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      // Every script is a file of /docs (no inline script the policy would block) and loads.
      const scripts = [...page.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length).toBeGreaterThan(0);
      for (const [, attrs, inline] of scripts) {
        expect(inline.trim()).toBe('');
        const src = /src="([^"]+)"/.exec(attrs)?.[1];
        expect(src).toMatch(/^\.?\/?(docs\/)?[\w.-]+\.js$/);
        const file = await t.http().get(new URL(src!, 'http://x/docs/').pathname);
        expect(file.status).toBe(200);
      }
      expect(page.text).toContain('swagger-ui-init.js');
      const init = await t.http().get('/docs/swagger-ui-init.js');
      expect(init.headers['content-security-policy']).toBe(csp);
    });
  });

  describe('logs', () => {
    it('never hold a token, a password or the query string of an authenticated route', async () => {
      const session = (
        await t
          .http()
          .post('/api/auth/login')
          .send({ username: TEST_ADMIN.username, password: TEST_ADMIN.password })
          .expect(200)
      ).body.data.token as string;
      await t.http().get('/api/auth/me?access_token=secret123&x=1').set(bearer(session));
      await t.http().get('/api/sms?access_token=secret123').set(bearer(user.apiToken));
      await t
        .http()
        .post('/api/auth/login')
        .send({ username: 'nobody', password: 'hunter2-secret' });
      const log = logLines.join('');
      expect(log).toContain('/api/auth/me?access_token=[redacted]&x=[redacted]');
      for (const secret of [
        'secret123',
        TEST_ADMIN.password,
        'hunter2-secret',
        session,
        user.apiToken,
        user.sessionToken,
        METRICS_TOKEN,
      ]) {
        expect(log).not.toContain(secret);
      }
    });
  });
});

describe('Dashboard source map', () => {
  const MAP = fileURLToPath(new URL('../dist/public/app.js.map', import.meta.url));

  it('names the sources but carries none of their text', () => {
    if (!existsSync(MAP)) throw new Error(`${MAP} is missing: run \`npm run build\` first`);
    const map = JSON.parse(readFileSync(MAP, 'utf8')) as {
      sources: string[];
      sourcesContent?: unknown[];
    };
    expect(map.sources.length).toBeGreaterThan(0);
    expect(map.sourcesContent ?? []).toEqual([]);
  });
});
