import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { eventually } from './fixtures/waiting.js';
import { type AppProcess, startApp } from './support/app-process.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

/**
 * Each API process keeps API tokens in a cache of its own for up to 60 s (README, Security).
 * A change made through one process must stop the token in every other one as soon as the
 * `user_changed` notice arrives, not when the entry ages out: here the other process must
 * refuse it within NOTICE_DEADLINE_MS, far below that minute (the notice takes milliseconds;
 * the deadline leaves room for a busy machine). Real processes of the built app: two Nest
 * apps in one process would share passport's strategies, and with them one cache.
 */
const NOTICE_DEADLINE_MS = 10_000;

describe('API token changes across two API processes (e2e)', () => {
  let db: TestDatabase;
  let a: AppProcess;
  let b: AppProcess;

  beforeAll(async () => {
    db = await createTestDatabase('tokens2procs');
    a = await startApp({ DATABASE_URL: db.url, QUEUE_ROLE: 'api' }, { label: 'a' });
    b = await startApp({ DATABASE_URL: db.url, QUEUE_ROLE: 'api' }, { label: 'b' });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await db?.drop();
  });

  /** The status of GET /api/auth/me on `app` with `token`. */
  const me = async (app: AppProcess, token: string) =>
    (await fetch(`${app.baseUrl}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } }))
      .status;

  /** A user made through A's admin API; its API token. */
  async function newUser(): Promise<{ id: number; token: string }> {
    const res = await a.api('POST', '/api/admin/users', {
      username: `u_${randomBytes(4).toString('hex')}`,
      password: `pw-${randomBytes(8).toString('hex')}`,
    });
    expect(res.status).toBe(201);
    return { id: res.body.data.user.id, token: res.body.data.token };
  }

  /** How long B took to refuse `token` from now on. */
  async function refusedByB(token: string): Promise<number> {
    const since = Date.now();
    await eventually(async () => (await me(b, token)) === 401, NOTICE_DEADLINE_MS);
    return Date.now() - since;
  }

  it('a token revoked through one process is refused by the other', async () => {
    const u = await newUser();
    // Both have it in their caches: they answered with it.
    expect(await me(a, u.token)).toBe(200);
    expect(await me(b, u.token)).toBe(200);
    expect((await a.api('DELETE', `/api/admin/users/${u.id}/token`)).status).toBe(204);
    // The process that made the change: at once.
    expect(await me(a, u.token)).toBe(401);
    console.log(`revoked on A, refused by B after ${await refusedByB(u.token)} ms`);
    // And it stays refused: no stale entry comes back.
    expect(await me(b, u.token)).toBe(401);
  });

  it('a user disabled through one process loses the token in the other', async () => {
    const u = await newUser();
    expect(await me(b, u.token)).toBe(200);
    const res = await a.api('PATCH', `/api/admin/users/${u.id}`, { is_active: false });
    expect(res.status).toBe(200);
    expect(await me(a, u.token)).toBe(401);
    console.log(`disabled on A, refused by B after ${await refusedByB(u.token)} ms`);
  });

  it('a regenerated token works in the other process at once, the old one stops', async () => {
    const u = await newUser();
    expect(await me(b, u.token)).toBe(200);
    const res = await a.api('POST', `/api/admin/users/${u.id}/token`);
    expect(res.status).toBe(201);
    // A token B has never seen is read from the database: no notice needed.
    expect(await me(b, res.body.data.token)).toBe(200);
    await refusedByB(u.token);
  });
});
