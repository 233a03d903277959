import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { adminSession, bearer, createUser, login } from './fixtures/users.js';
import { createTestApp, TEST_ADMIN, TestApp } from './utils/test-app.js';

describe('Auth and users (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ LOGIN_THROTTLE_LIMIT: '5' }, 'auth');
  });
  afterAll(() => t.close());

  it('bootstraps exactly one admin with ADMIN_PASSWORD', async () => {
    const rows = await t.db.dataSource.query('SELECT username, is_admin FROM users');
    expect(rows).toEqual([{ username: 'SMSadmin', is_admin: true }]);
  });

  it('logs in case-insensitively and answers with a session token', async () => {
    const res = await t
      .http()
      .post('/api/auth/login')
      .send({ username: 'smsADMIN', password: TEST_ADMIN.password })
      .expect(200);
    expect(res.body.success).toBe(true);
    expect(res.body.data).toMatchObject({
      token_type: 'Bearer',
      user: { username: 'SMSadmin', is_admin: true },
    });
    expect(Date.parse(res.body.data.expires_at) - Date.now()).toBeGreaterThan(11 * 3600 * 1000);
    const me = await t.http().get('/api/auth/me').set(bearer(res.body.data.token)).expect(200);
    expect(me.body.data).toMatchObject({ username: 'SMSadmin', is_admin: true, is_active: true });
    expect(me.body.data.created_at).toEqual(expect.any(String));
  });

  it('gives the same 401 for an unknown user, a wrong password and a disabled user', async () => {
    const u = await createUser(t);
    const admin = await adminSession(t);
    await t
      .http()
      .patch(`/api/admin/users/${u.id}`)
      .set(bearer(admin))
      .send({ is_active: false })
      .expect(200);
    const answers = await Promise.all([
      t.http().post('/api/auth/login').send({ username: 'nobody-here', password: 'whatever-pw' }),
      t
        .http()
        .post('/api/auth/login')
        .send({ username: TEST_ADMIN.username, password: 'wrong-password' }),
      t.http().post('/api/auth/login').send({ username: u.username, password: u.password }),
    ]);
    for (const a of answers) {
      expect(a.status).toBe(401);
      expect(a.body).toEqual({
        success: false,
        error: { code: 'UNAUTHORIZED', message: 'Invalid username or password' },
      });
    }
  });

  it('answers 400 MISSING_FIELDS with details when a credential is missing', async () => {
    const res = await t.http().post('/api/auth/login').send({ username: 'x' }).expect(400);
    expect(res.body.error.code).toBe('MISSING_FIELDS');
    expect(res.body.error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'password' })]),
    );
  });

  it('rotates the API token: the new one works, the old one stops', async () => {
    const u = await createUser(t);
    await t.http().get('/api/auth/me').set(bearer(u.apiToken)).expect(200);
    const res = await t.http().post('/api/auth/token').set(bearer(u.apiToken)).expect(201);
    expect(res.body.data.token).toMatch(/^smsp_/);
    await t.http().get('/api/auth/me').set(bearer(u.apiToken)).expect(401);
    await t.http().get('/api/auth/me').set(bearer(res.body.data.token)).expect(200);
  });

  it('stores only hashes of passwords and tokens', async () => {
    const u = await createUser(t);
    const [row] = await t.db.dataSource.query('SELECT * FROM users WHERE id = $1', [u.id]);
    const stored = JSON.stringify(row);
    expect(stored).not.toContain(u.password);
    expect(stored).not.toContain(u.apiToken);
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(row.api_token_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('manages users: duplicate names conflict regardless of case, self-protection, delete', async () => {
    const admin = await adminSession(t);
    const u = await createUser(t);
    const dup = await t
      .http()
      .post('/api/admin/users')
      .set(bearer(admin))
      .send({ username: u.username.toUpperCase(), password: 'long-enough-pw' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('CONFLICT');
    const me = await t.http().get('/api/auth/me').set(bearer(admin)).expect(200);
    for (const body of [{ is_active: false }, { is_admin: false }]) {
      const res = await t
        .http()
        .patch(`/api/admin/users/${me.body.data.id}`)
        .set(bearer(admin))
        .send(body);
      expect(res.status).toBe(409);
    }
    await t.http().delete(`/api/admin/users/${me.body.data.id}`).set(bearer(admin)).expect(409);
    await t.http().delete(`/api/admin/users/${u.id}`).set(bearer(admin)).expect(204);
    await t.http().get('/api/auth/me').set(bearer(u.apiToken)).expect(401);
    await t.http().delete(`/api/admin/users/${u.id}`).set(bearer(admin)).expect(404);
  });

  it('a password change ends older sessions', async () => {
    const u = await createUser(t);
    const admin = await adminSession(t);
    await t
      .http()
      .patch(`/api/admin/users/${u.id}`)
      .set(bearer(admin))
      .send({ password: 'brand-new-password' })
      .expect(200);
    await t.http().get('/api/auth/me').set(bearer(u.sessionToken)).expect(401);
    const fresh = await login(t, u.username, 'brand-new-password');
    await t.http().get('/api/auth/me').set(bearer(fresh)).expect(200);
  });

  it('lists users without secrets, paginated', async () => {
    const admin = await adminSession(t);
    const res = await t
      .http()
      .get('/api/admin/users?page=1&per_page=2')
      .set(bearer(admin))
      .expect(200);
    expect(res.body.data.users).toHaveLength(2);
    expect(res.body.data.current_page).toBe(1);
    expect(res.body.data.total).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(res.body)).not.toMatch(/hash|password/);
    await t.http().get('/api/admin/users?per_page=101').set(bearer(admin)).expect(400);
    await t.http().get('/api/admin/users?page=0').set(bearer(admin)).expect(400);
  });

  it('throttles login per address and username with 429 RATE_LIMITED', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await t
        .http()
        .post('/api/auth/login')
        .send({ username: 'victim', password: `guess-${i}` });
      statuses.push(res.status);
      if (res.status === 429) expect(res.body.error.code).toBe('RATE_LIMITED');
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    // Another username from the same address is not locked out.
    await t
      .http()
      .post('/api/auth/login')
      .send({ username: TEST_ADMIN.username, password: TEST_ADMIN.password })
      .expect(200);
  });
});
