import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { bearer, createUser, login } from './fixtures/users.js';
import { createTestApp, TEST_ADMIN, TestApp } from './support/test-app.js';

const LIMITS = { LOGIN_THROTTLE_LIMIT: '3', LOGIN_THROTTLE_IP_LIMIT: '6' };

/** Statuses of failed logins as `username`, each from the address in `forwardedFor`. */
async function failedLogins(t: TestApp, tries: { username: string; forwardedFor?: string }[]) {
  const statuses: number[] = [];
  for (const { username, forwardedFor } of tries) {
    let req = t.http().post('/api/auth/login');
    if (forwardedFor) req = req.set('X-Forwarded-For', forwardedFor);
    const res = await req.send({ username, password: 'a-wrong-guess' });
    if (res.status === 429) {
      expect(res.body.error.code).toBe('RATE_LIMITED');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
    statuses.push(res.status);
  }
  return statuses;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('Login throttle without TRUST_PROXY (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(LIMITS, 'throttle');
  });
  // Every request here comes from one address: each test starts with clean counts.
  beforeEach(() => t.db.dataSource.query('DELETE FROM login_attempts'));
  afterAll(() => t.close());

  it('ignores a spoofed X-Forwarded-For: every guess counts against the one real address', async () => {
    const statuses = await failedLogins(
      t,
      range(5).map((i) => ({ username: 'victim', forwardedFor: `203.0.113.${i + 1}` })),
    );
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });

  it('limits failed logins per address across all usernames', async () => {
    const statuses = await failedLogins(
      t,
      range(8).map((i) => ({ username: `someone-${i}` })),
    );
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429, 429]);
    // A right password is refused too while the address is over its limit.
    const res = await t
      .http()
      .post('/api/auth/login')
      .send({ username: TEST_ADMIN.username, password: TEST_ADMIN.password });
    expect(res.status).toBe(429);
  });
});

describe('Login throttle with TRUST_PROXY=loopback (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ ...LIMITS, TRUST_PROXY: 'loopback' }, 'throttleproxy');
  });
  afterAll(() => t.close());

  it('counts per forwarded client address when the proxy is trusted', async () => {
    const first = await failedLogins(
      t,
      range(5).map(() => ({ username: 'victim', forwardedFor: '198.51.100.7' })),
    );
    expect(first).toEqual([401, 401, 401, 429, 429]);
    const other = await failedLogins(t, [{ username: 'victim', forwardedFor: '198.51.100.8' }]);
    expect(other).toEqual([401]);
  });

  it('does not count right passwords against the address', async () => {
    const ip = '198.51.100.9';
    for (const _ of range(8)) {
      await t
        .http()
        .post('/api/auth/login')
        .set('X-Forwarded-For', ip)
        .send({ username: TEST_ADMIN.username, password: TEST_ADMIN.password })
        .expect(200);
    }
    const statuses = await failedLogins(
      t,
      range(7).map((i) => ({ username: `user-${i}`, forwardedFor: ip })),
    );
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429]);
  });

  it('counts wrong passwords given to confirm a token or a password change like failed logins', async () => {
    const u = await createUser(t);
    const ip = '198.51.100.10';
    const statuses: number[] = [];
    for (const i of range(4)) {
      const res = await t
        .http()
        .post(i % 2 ? '/api/auth/token' : '/api/auth/password')
        .set('X-Forwarded-For', ip)
        .set(bearer(u.sessionToken))
        .send(
          i % 2
            ? { password: 'a-wrong-guess' }
            : { current_password: 'a-wrong-guess', new_password: 'brand-new-password' },
        );
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    // The login of that user from that address shares the count.
    await t
      .http()
      .post('/api/auth/login')
      .set('X-Forwarded-For', ip)
      .send({ username: u.username, password: u.password })
      .expect(429);
    await login(t, u.username, u.password); // from another address: fine
  });
});
