import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { adminSession, bearer } from './fixtures/users.js';
import { createTestApp, TEST_ADMIN, TestApp } from './support/test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Any error answer: the envelope and nothing else. */
const errorEnvelope = (code: string) => ({
  success: false,
  error: expect.objectContaining({ code, message: expect.any(String) }),
});

describe('Error envelope, request ids and security headers (e2e)', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    // With 1000 recipients the bulk body limit is its floor: 1 000 000 bytes (others: 64 KB).
    t = await createTestApp({ SMS_MAX_BULK_RECIPIENTS: '1000' }, 'errors');
    admin = await adminSession(t);
  });
  afterAll(() => t.close());

  describe('request bodies', () => {
    it('answers malformed JSON with 400 VALIDATION_ERROR', async () => {
      const res = await t
        .http()
        .post('/api/admin/users')
        .set(bearer(admin))
        .set('Content-Type', 'application/json')
        .send('{"username": "alice", ');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        success: false,
        error: { code: 'VALIDATION_ERROR', message: 'Malformed JSON body' },
      });
    });

    it('rejects unknown fields with 400 and one detail per field', async () => {
      const res = await t
        .http()
        .post('/api/admin/users')
        .set(bearer(admin))
        .send({ username: 'alice', password: 'long-enough-pw', role: 'root', api_token: 'x' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(errorEnvelope('VALIDATION_ERROR'));
      expect(res.body.error.details).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ field: 'role' }),
          expect.objectContaining({ field: 'api_token' }),
        ]),
      );
      const rows = await t.db.dataSource.query(`SELECT 1 FROM users WHERE username = 'alice'`);
      expect(rows).toHaveLength(0);
    });

    it.each([
      ['a number as username', { username: 12345, password: 'long-enough-pw' }, 'username'],
      ['an object as password', { username: 'bob', password: { a: 1 } }, 'password'],
      [
        'a string as is_admin',
        { username: 'bob', password: 'long-enough-pw', is_admin: 'yes' },
        'is_admin',
      ],
      ['an array body', [{ username: 'bob', password: 'long-enough-pw' }], null],
      ['a JSON string body', 'just a string', null],
      ['null', null, null],
    ])('rejects wrong types (%s) with 400, never 500', async (_, body, field) => {
      const res = await t
        .http()
        .post('/api/admin/users')
        .set(bearer(admin))
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(body));
      expect(res.status).toBe(400);
      expect(res.body).toEqual(errorEnvelope('VALIDATION_ERROR'));
      if (field) {
        expect(res.body.error.details).toEqual(
          expect.arrayContaining([expect.objectContaining({ field })]),
        );
      }
    });

    it('refuses a body that is not JSON with 415', async () => {
      for (const [type, body] of [
        ['text/plain', 'username=alice'],
        ['application/x-www-form-urlencoded', 'username=alice&password=long-enough-pw'],
      ]) {
        const res = await t
          .http()
          .post('/api/admin/users')
          .set(bearer(admin))
          .set('Content-Type', type)
          .send(body);
        expect(res.status).toBe(415);
        expect(res.body).toEqual(errorEnvelope('UNSUPPORTED_MEDIA_TYPE'));
      }
    });

    /** A JSON body sent as the given text, as the admin. */
    const postText = (path: string, text: string) =>
      t.http().post(path).set(bearer(admin)).set('Content-Type', 'application/json').send(text);

    it('answers a body over the limit with 413 PAYLOAD_TOO_LARGE', async () => {
      const big = JSON.stringify({ username: 'x', password: 'p'.repeat(1_000_100) });
      expect(Buffer.byteLength(big)).toBeGreaterThan(1_000_000);
      const res = await postText('/api/admin/users', big);
      expect(res.status).toBe(413);
      expect(res.body).toEqual({
        success: false,
        error: { code: 'PAYLOAD_TOO_LARGE', message: 'Request body is too large' },
      });
    });

    it('accepts a body just under its route limit (then validates it)', async () => {
      const small = JSON.stringify({ username: 'x', password: 'p'.repeat(64 * 1024 - 100) });
      const res = await postText('/api/admin/users', small);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      // The bulk route's limit is the large one.
      const bulk = JSON.stringify({ recipients: ['+85291234567'], content: 'p'.repeat(990_000) });
      const big = await postText('/api/sms/send-bulk', bulk);
      expect(big.status).toBe(400);
      expect(big.body.error.code).toBe('CONTENT_TOO_LONG');
    });
  });

  describe('routes and path ids', () => {
    it('answers an unknown route with 404 NOT_FOUND', async () => {
      for (const [method, path] of [
        ['get', '/api/no-such-route'],
        ['post', '/api/admin/nothing-here'],
        ['get', '/not-even-api'],
      ] as const) {
        const res = await t.http()[method](path).set(bearer(admin));
        expect(res.status).toBe(404);
        expect(res.body).toEqual(errorEnvelope('NOT_FOUND'));
      }
    });

    it.each(['abc', '0', '-1', '99999999999', '1.5', '%20'])(
      'answers path id %p with 400 VALIDATION_ERROR',
      async (id) => {
        const res = await t.http().post(`/api/admin/users/${id}/token`).set(bearer(admin));
        expect(res.status).toBe(400);
        expect(res.body).toEqual(errorEnvelope('VALIDATION_ERROR'));
      },
    );

    it('answers a well-formed id of nobody with 404', async () => {
      const res = await t.http().post('/api/admin/users/2147483647/token').set(bearer(admin));
      expect(res.status).toBe(404);
      expect(res.body).toEqual(errorEnvelope('NOT_FOUND'));
    });
  });

  describe('X-Request-Id', () => {
    it('is on every answer: success, 4xx, 404, health, docs', async () => {
      const answers = await Promise.all([
        t.http().get('/api/auth/me').set(bearer(admin)),
        t.http().get('/api/auth/me'),
        t.http().post('/api/auth/login').send({}),
        t.http().get('/api/nowhere'),
        t.http().get('/api/health'),
        t.http().get('/api/health/live'),
        t.http().get('/docs-json'),
      ]);
      expect(answers.map((a) => a.status)).toEqual([200, 401, 400, 404, 200, 200, 200]);
      for (const a of answers) expect(a.headers['x-request-id']).toMatch(UUID);
      const ids = new Set(answers.map((a) => a.headers['x-request-id']));
      expect(ids.size).toBe(answers.length);
    });

    it('echoes a sane incoming id', async () => {
      const id = 'client-7f3a:trace/42';
      const ok = await t.http().get('/api/health/live').set('X-Request-Id', id);
      expect(ok.headers['x-request-id']).toBe(id);
      const err = await t.http().get('/api/auth/me').set('X-Request-Id', id);
      expect(err.status).toBe(401);
      expect(err.headers['x-request-id']).toBe(id);
    });

    it.each([
      ['300 characters', 'a'.repeat(300)],
      ['spaces', 'has some spaces'],
      ['an empty value', ''],
    ])('replaces an insane incoming id (%s)', async (_, id) => {
      const res = await t.http().get('/api/health/live').set('X-Request-Id', id);
      expect(res.headers['x-request-id']).toMatch(UUID);
    });
  });

  describe('security headers', () => {
    it('sends helmet headers, no X-Powered-By and no CORS header by default', async () => {
      for (const res of [
        await t.http().get('/api/health').set('Origin', 'https://evil.example'),
        await t.http().get('/api/auth/me').set('Origin', 'https://evil.example'),
      ]) {
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers['x-frame-options']).toBeDefined();
        expect(res.headers['strict-transport-security']).toBeDefined();
        expect(res.headers['x-powered-by']).toBeUndefined();
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
      }
      const preflight = await t
        .http()
        .options('/api/auth/me')
        .set('Origin', 'https://evil.example')
        .set('Access-Control-Request-Method', 'GET');
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});

/** Last, on an app of its own: its schema is broken on purpose. */
describe('Internal errors (e2e)', () => {
  let t: TestApp;
  let adminToken: string;

  beforeAll(async () => {
    t = await createTestApp({ LOG_LEVEL: 'fatal' }, 'errors500');
    adminToken = await adminSession(t);
    await t.db.dataSource.query('ALTER TABLE users RENAME COLUMN password_hash TO pw_gone');
  });
  afterAll(() => t?.close());

  const SECRETS =
    /pw_gone|password_hash|select|relation|column|QueryFailed|typeorm|\bat \w+ \(|\.ts:|\.js:/i;

  it('answers 500 INTERNAL_ERROR with a request id and nothing else', async () => {
    const res = await t
      .http()
      .post('/api/auth/login')
      .send({ username: TEST_ADMIN.username, password: TEST_ADMIN.password });
    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      success: false,
      error: {
        code: 'INTERNAL_ERROR',
        message: 'Internal server error',
        request_id: res.headers['x-request-id'],
      },
    });
    expect(res.headers['x-request-id']).toMatch(UUID);
    expect(res.text).not.toMatch(SECRETS);
  });

  it('carries the echoed request id, so a caller can quote it', async () => {
    const res = await t
      .http()
      .post('/api/auth/login')
      .set('X-Request-Id', 'support-ticket-1234')
      .send({ username: TEST_ADMIN.username, password: TEST_ADMIN.password });
    expect(res.status).toBe(500);
    expect(res.body.error.request_id).toBe('support-ticket-1234');
  });

  it('does not disguise a broken database as a bad token on authenticated routes', async () => {
    await t.db.dataSource.query('ALTER TABLE users RENAME TO users_gone');
    try {
      const res = await t.http().get('/api/auth/me').set(bearer(adminToken));
      expect(res.status).toBe(500);
      expect(res.body.error).toEqual({
        code: 'INTERNAL_ERROR',
        message: 'Internal server error',
        request_id: res.headers['x-request-id'],
      });
      expect(res.text).not.toMatch(SECRETS);
    } finally {
      await t.db.dataSource.query('ALTER TABLE users_gone RENAME TO users');
    }
  });
});
