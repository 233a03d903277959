import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  adminSession,
  bearer,
  createUser,
  expectPasswordChanged,
  login,
} from './fixtures/users.js';
import { createTestApp, TEST_ADMIN, TestApp } from './support/test-app.js';

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
    const res = await t
      .http()
      .post('/api/auth/token')
      .set(bearer(u.apiToken))
      .send({ password: u.password })
      .expect(201);
    expect(res.body.data.token).toMatch(/^smsp_/);
    await t.http().get('/api/auth/me').set(bearer(u.apiToken)).expect(401);
    await t.http().get('/api/auth/me').set(bearer(res.body.data.token)).expect(200);
  });

  it('minting an own API token needs the current password: missing 400, wrong 401', async () => {
    const u = await createUser(t);
    const rotate = () => t.http().post('/api/auth/token').set(bearer(u.sessionToken));
    const missing = await rotate().send({}).expect(400);
    expect(missing.body.error.code).toBe('VALIDATION_ERROR');
    const fields = (missing.body.error.details as { field: string }[]).map((d) => d.field);
    expect(new Set(fields)).toEqual(new Set(['password']));
    await rotate().expect(400);
    const wrong = await rotate().send({ password: 'not-the-password' }).expect(401);
    expect(wrong.body.error).toEqual({ code: 'UNAUTHORIZED', message: 'Wrong password' });
    // Nothing changed, and the wrong password did not end the session either.
    await t.http().get('/api/auth/me').set(bearer(u.apiToken)).expect(200);
    await t.http().get('/api/auth/me').set(bearer(u.sessionToken)).expect(200);
    const ok = await rotate().send({ password: u.password }).expect(201);
    await t.http().get('/api/auth/me').set(bearer(ok.body.data.token)).expect(200);
  });

  it("admins regenerate and revoke other users' API tokens, not their own through that route", async () => {
    const admin = await adminSession(t);
    const u = await createUser(t);
    const rotated = await t
      .http()
      .post(`/api/admin/users/${u.id}/token`)
      .set(bearer(admin))
      .expect(201);
    await t.http().get('/api/auth/me').set(bearer(u.apiToken)).expect(401);
    await t.http().get('/api/auth/me').set(bearer(rotated.body.data.token)).expect(200);

    await t.http().get('/api/auth/me').set(bearer(rotated.body.data.token)).expect(200);
    await t.http().delete(`/api/admin/users/${u.id}/token`).set(bearer(admin)).expect(204);
    await t.http().get('/api/auth/me').set(bearer(rotated.body.data.token)).expect(401);
    const [row] = await t.db.dataSource.query('SELECT api_token_hash FROM users WHERE id = $1', [
      u.id,
    ]);
    expect(row.api_token_hash).toBeNull();
    // Sessions are not tokens: they keep working.
    await t.http().get('/api/auth/me').set(bearer(u.sessionToken)).expect(200);
    await t.http().delete('/api/admin/users/2147483647/token').set(bearer(admin)).expect(404);

    const me = await t.http().get('/api/auth/me').set(bearer(admin)).expect(200);
    const self = await t
      .http()
      .post(`/api/admin/users/${me.body.data.id}/token`)
      .set(bearer(admin))
      .expect(409);
    expect(self.body.error.code).toBe('CONFLICT');
  });

  it('reads tokens only from the Authorization header, never the query string or body', async () => {
    const u = await createUser(t);
    for (const token of [u.apiToken, u.sessionToken]) {
      await t.http().get('/api/auth/me').query({ access_token: token }).expect(401);
      await t
        .http()
        .post('/api/sms')
        .send({ access_token: token, recipient: '+85291234567', content: 'hi' })
        .expect(401);
      // With the header too, the stray copy is ignored (headerToken reads only the header).
      await t
        .http()
        .get('/api/auth/me')
        .query({ access_token: token })
        .set(bearer(token))
        .expect(200);
      const status = await t.http().get('/api/queue/status').query({ access_token: token });
      expect(status.body.data).not.toHaveProperty('user');
    }
  });

  it('logout ends the calling session server-side; other sessions and the API token stay', async () => {
    const u = await createUser(t);
    const other = await login(t, u.username, u.password);
    await t.http().post('/api/auth/logout').set(bearer(u.sessionToken)).expect(204);
    const after = await t.http().get('/api/auth/me').set(bearer(u.sessionToken)).expect(401);
    expect(after.body.error.code).toBe('UNAUTHORIZED');
    await t.http().post('/api/auth/logout').set(bearer(u.sessionToken)).expect(401);
    await t.http().get('/api/auth/me').set(bearer(other)).expect(200);
    await t.http().get('/api/auth/me').set(bearer(u.apiToken)).expect(200);
  });

  it('logout?all=true ends every session of the caller; an API token alone gets 409', async () => {
    const u = await createUser(t);
    const other = await login(t, u.username, u.password);
    const refused = await t.http().post('/api/auth/logout').set(bearer(u.apiToken)).expect(409);
    expect(refused.body.error.code).toBe('CONFLICT');
    await t.http().get('/api/auth/me').set(bearer(other)).expect(200);
    await t.http().post('/api/auth/logout?all=maybe').set(bearer(other)).expect(400);

    await t.http().post('/api/auth/logout?all=true').set(bearer(other)).expect(204);
    await t.http().get('/api/auth/me').set(bearer(other)).expect(401);
    await t.http().get('/api/auth/me').set(bearer(u.sessionToken)).expect(401);
    await t.http().get('/api/auth/me').set(bearer(u.apiToken)).expect(200);
    const fresh = await login(t, u.username, u.password);
    await t.http().get('/api/auth/me').set(bearer(fresh)).expect(200);
    // With the API token, all=true ends the sessions too.
    await t.http().post('/api/auth/logout?all=true').set(bearer(u.apiToken)).expect(204);
    await t.http().get('/api/auth/me').set(bearer(fresh)).expect(401);
  });

  it('keeps a logged-out session only until it would have expired (expired rows pruned)', async () => {
    await t.db.dataSource.query(
      `INSERT INTO revoked_sessions (jti, expires_at) VALUES ('long-gone', now() - interval '1 minute')`,
    );
    const u = await createUser(t);
    await t.http().post('/api/auth/logout').set(bearer(u.sessionToken)).expect(204);
    const rows: { jti: string; expires_at: Date }[] = await t.db.dataSource.query(
      'SELECT jti, expires_at FROM revoked_sessions',
    );
    expect(rows.map((r) => r.jti)).not.toContain('long-gone');
    expect(rows.length).toBeGreaterThanOrEqual(1);
    for (const r of rows) expect(r.expires_at.getTime()).toBeGreaterThan(Date.now());
  });

  it('a password change by the user ends all its sessions, this one included; the API token stays', async () => {
    const u = await createUser(t);
    const other = await login(t, u.username, u.password);
    const change = (body: object) =>
      t.http().post('/api/auth/password').set(bearer(u.sessionToken)).send(body);
    const missing = await change({ new_password: 'brand-new-password' }).expect(400);
    expect(missing.body.error.code).toBe('VALIDATION_ERROR');
    await change({ current_password: u.password, new_password: 'short' }).expect(400);
    const wrong = await change({
      current_password: 'not-the-password',
      new_password: 'brand-new-password',
    }).expect(401);
    expect(wrong.body.error.message).toBe('Wrong password');
    await t.http().get('/api/auth/me').set(bearer(u.sessionToken)).expect(200);

    await change({ current_password: u.password, new_password: 'brand-new-password' }).expect(204);
    await t.http().get('/api/auth/me').set(bearer(other)).expect(401);
    await expectPasswordChanged(t, u, 'brand-new-password');
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

  it("an admin's change to a user holds for the user's very next API-token request", async () => {
    const admin = await adminSession(t);
    const u = await createUser(t);
    const me = () => t.http().get('/api/auth/me').set(bearer(u.apiToken));
    const patch = (body: object) =>
      t.http().patch(`/api/admin/users/${u.id}`).set(bearer(admin)).send(body).expect(200);
    await me().expect(200);
    await patch({ can_send_urgent: true, weight: 5 });
    expect((await me().expect(200)).body.data).toMatchObject({ can_send_urgent: true, weight: 5 });
    await patch({ is_active: false });
    await me().expect(401);
    await patch({ is_active: true });
    await me().expect(200);
    await t.http().delete(`/api/admin/users/${u.id}`).set(bearer(admin)).expect(204);
    await me().expect(401);
  });

  it("an admin password reset ends all the user's sessions", async () => {
    const u = await createUser(t);
    const admin = await adminSession(t);
    await t
      .http()
      .patch(`/api/admin/users/${u.id}`)
      .set(bearer(admin))
      .send({ password: 'brand-new-password' })
      .expect(200);
    await expectPasswordChanged(t, u, 'brand-new-password');
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
