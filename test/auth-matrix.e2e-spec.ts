import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JwtService } from '@nestjs/jwt';
import type { OpenAPIObject, OperationObject, PathItemObject } from '@nestjs/swagger';
import { randomBytes } from 'node:crypto';
import { adminSession, bearer, createUser, TestUser } from './fixtures/users.js';
import { createTestApp, TestApp } from './support/test-app.js';

/**
 * Every route of the live OpenAPI document × every kind of caller. The document is read
 * before the tests are declared (top-level await), so a route added later is covered
 * without touching this file.
 */
const t: TestApp = await createTestApp({}, 'authmatrix');
const doc = (await t.http().get('/docs-json').expect(200)).body as OpenAPIObject;

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
type Method = (typeof METHODS)[number];

interface Route {
  method: Method;
  path: string;
  isProtected: boolean;
  ownSecret: boolean;
  adminOnly: boolean;
}

const routes: Route[] = Object.entries(doc.paths)
  .flatMap(([path, item]: [string, PathItemObject]) =>
    METHODS.filter((m) => item[m]).map((method) => {
      const op = item[method] as OperationObject;
      const security = op.security ?? doc.security ?? [];
      return {
        method,
        path,
        isProtected: security.length > 0,
        // Secured by a secret of its own, not a user's token (test/receipts covers it).
        ownSecret: security.length > 0 && security.every((s) => !('bearer' in s)),
        adminOnly: path.startsWith('/api/admin/'),
      };
    }),
  )
  .filter((r) => !r.ownSecret)
  // Destructive calls last, so they cannot take away what the other rows still use.
  .sort((a, b) => Number(a.method === 'delete') - Number(b.method === 'delete'));

const label = (r: Route) => `${r.method.toUpperCase()} ${r.path}`;

/** Objects the path ids point at; each row gets its own, so deleting one harms nothing. */
interface Targets {
  userId: number;
  messageId?: number;
}

/**
 * A real object's id where making one is cheap, else 1 (then 404 is an acceptable answer:
 * the point here is who gets past authentication and authorisation).
 */
function concretePath(path: string, targets: Targets): string {
  const idFor = (prefix: string) => {
    if (prefix.startsWith('/api/admin/users/')) return targets.userId;
    if (prefix.startsWith('/api/sms/') || prefix.startsWith('/api/admin/messages/')) {
      return targets.messageId ?? 1;
    }
    return 1;
  };
  return path.replace(/\{[^}]+\}/g, (_, offset: number) => String(idFor(path.slice(0, offset))));
}

function call(route: Route, path: string, authorization?: string) {
  let req = t.http()[route.method](path);
  if (authorization) req = req.set('Authorization', authorization);
  // Valid-ish but harmless: most routes answer 400 to an empty object.
  return route.method === 'get' || route.method === 'delete' ? req : req.send({});
}

describe('Auth matrix over the OpenAPI document (e2e)', () => {
  let admin: string;
  let expired: string;
  let loggedOut: string;
  let disabled: TestUser;

  beforeAll(async () => {
    admin = await adminSession(t);
    disabled = await createUser(t);
    await t
      .http()
      .patch(`/api/admin/users/${disabled.id}`)
      .set(bearer(admin))
      .send({ is_active: false })
      .expect(200);
    const victim = await createUser(t);
    const [{ value: secret }] = await t.db.dataSource.query(
      `SELECT value FROM app_settings WHERE key = 'session_secret'`,
    );
    const jwt = new JwtService();
    const claims = { sub: victim.id, sv: 0, jti: randomBytes(16).toString('base64url') };
    expired = jwt.sign(claims, { secret, expiresIn: -60 });
    // The same token unexpired works, so the 401s below are about expiry, not the signing.
    const fresh = jwt.sign(claims, { secret, expiresIn: 60 });
    await t.http().get('/api/auth/me').set(bearer(fresh)).expect(200);
    loggedOut = (await createUser(t)).sessionToken;
    await t.http().post('/api/auth/logout').set(bearer(loggedOut)).expect(204);
  });
  afterAll(() => t.close());

  it('reads a document that has at least the auth and admin user routes', () => {
    const have = routes.map(label);
    expect(have).toEqual(
      expect.arrayContaining([
        'POST /api/auth/login',
        'GET /api/auth/me',
        'POST /api/auth/token',
        'POST /api/auth/logout',
        'POST /api/auth/password',
        'GET /api/admin/users',
        'POST /api/admin/users',
        'PATCH /api/admin/users/{id}',
        'DELETE /api/admin/users/{id}',
        'POST /api/admin/users/{id}/token',
        'DELETE /api/admin/users/{id}/token',
      ]),
    );
    expect(routes.find((r) => label(r) === 'POST /api/auth/login')?.isProtected).toBe(false);
    expect(routes.find((r) => label(r) === 'GET /api/auth/me')?.isProtected).toBe(true);
  });

  const publicRoutes = routes.filter((r) => !r.isProtected);
  it('leaves only the documented public routes without a token', () => {
    const PUBLIC =
      /^(POST \/api\/auth\/login|GET \/api\/health(\/\w+)?|GET \/api\/queue\/status|GET \/metrics)$/;
    expect(publicRoutes.map(label).filter((l) => !PUBLIC.test(l))).toEqual([]);
  });

  it.each(publicRoutes.map((r) => [label(r), r] as const))(
    'public %s does not ask for a token',
    async (_, route) => {
      const res = await call(route, concretePath(route.path, { userId: 1 }));
      expect(res.status).not.toBe(401);
      expect(res.status).toBeLessThan(500);
    },
  );

  const protectedRoutes = routes.filter((r) => r.isProtected);
  it.each(protectedRoutes.map((r) => [label(r), r] as const))('%s', async (_, route) => {
    // Targets of path ids are made for this row alone, and the caller is replaced when an
    // earlier row spoilt it (rotated its token, say), so no row depends on what others did.
    const user = await usableCaller();
    const targets: Targets = {
      userId: route.path.startsWith('/api/admin/users/{') ? (await createUser(t)).id : 1,
      messageId: /^\/api\/(admin\/messages|sms)\/\{/.test(route.path)
        ? await someMessageOf(user)
        : undefined,
    };
    const path = concretePath(route.path, targets);

    const refused: [string, string | undefined][] = [
      ['no token', undefined],
      ['a malformed bearer token', 'Bearer not-a-token'],
      ['an unknown API token', `Bearer smsp_${randomBytes(32).toString('base64url')}`],
      ['Basic credentials', 'Basic dXNlcjpwYXNzd29yZA=='],
      ['an expired session token', `Bearer ${expired}`],
      ['a logged-out session token', `Bearer ${loggedOut}`],
      ["a disabled user's API token", `Bearer ${disabled.apiToken}`],
      ["a disabled user's session token", `Bearer ${disabled.sessionToken}`],
    ];
    for (const [who, authorization] of refused) {
      const res = await call(route, path, authorization);
      expect({ who, status: res.status }).toEqual({ who, status: 401 });
      expect(res.body).toEqual({
        success: false,
        error: expect.objectContaining({ code: 'UNAUTHORIZED', message: expect.any(String) }),
      });
    }

    for (const [who, token] of [
      ["a user's API token", user.apiToken],
      ["a user's session token", user.sessionToken],
    ]) {
      const res = await call(route, path, `Bearer ${token}`);
      if (route.adminOnly) {
        expect({ who, status: res.status }).toEqual({ who, status: 403 });
        expect(res.body).toEqual({
          success: false,
          error: expect.objectContaining({ code: 'FORBIDDEN' }),
        });
      } else {
        expect({ who, status: res.status }).toEqual({ who, status: expect.any(Number) });
        expect([401, 403]).not.toContain(res.status);
        expect(res.status).toBeLessThan(500);
      }
    }

    // A logout row ends the admin's session: the next row logs in again.
    if (!(await works(admin))) admin = await adminSession(t);
    const res = await call(route, path, `Bearer ${admin}`);
    expect([401, 403]).not.toContain(res.status);
    expect(res.status).toBeLessThan(500);
  });

  it('still has a working admin after the whole matrix', async () => {
    const me = await t
      .http()
      .get('/api/auth/me')
      .set(bearer(await adminSession(t)))
      .expect(200);
    expect(me.body.data).toMatchObject({ is_admin: true, is_active: true });
  });

  let caller: TestUser | undefined;
  const works = async (token: string) =>
    (await t.http().get('/api/auth/me').set(bearer(token))).status === 200;

  /** A plain user whose API and session tokens both still work. */
  async function usableCaller(): Promise<TestUser> {
    if (!caller || !(await works(caller.apiToken)) || !(await works(caller.sessionToken))) {
      caller = await createUser(t);
    }
    return caller;
  }

  /** A message of the caller when the send route exists and accepts one, for /api/sms/{id}. */
  async function someMessageOf(user: TestUser): Promise<number | undefined> {
    if (!doc.paths['/api/sms']?.post) return undefined;
    const res = await t
      .http()
      .post('/api/sms')
      .set(bearer(user.apiToken))
      .send({ recipient: '+85291234567', content: 'auth matrix' });
    return res.status === 202 ? res.body.data.id : undefined;
  }
});
