import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { JwtService } from '@nestjs/jwt';
import { DataSource } from 'typeorm';
import { ApiTokenCache } from '../src/users/api-token-cache.js';
import { ApiTokenInvalidation } from '../src/auth/api-token-invalidation.js';
import { BearerResolver } from '../src/auth/bearer-resolver.js';
import { RevokedSessionsRepository } from '../src/auth/revoked-sessions.repository.js';
import { SessionSecretRepository } from '../src/auth/session-secret.repository.js';
import { SessionTokensService } from '../src/auth/session-tokens.service.js';
import { SystemClock } from '../src/common/clock.js';
import { loadConfig } from '../src/config/load-config.js';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { QueueNotifier } from '../src/queue/queue-notifier.js';
import { hashApiToken, newApiToken } from '../src/users/api-tokens.js';
import { UserEntity } from '../src/users/user.entity.js';
import { UsersService } from '../src/users/users.service.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

/** What one process holds: its own pool, LISTEN connection, cache and resolver. */
async function startProcess(db: TestDatabase) {
  const config = { ...loadConfig({ LOG_LEVEL: 'error' }), databaseUrl: db.url };
  const clock = new SystemClock();
  const ds = await new DataSource(dataSourceOptions(db.url, 2)).initialize();
  const notifier = new QueueNotifier(config);
  const cache = new ApiTokenCache(clock);
  const users = new UsersService(ds.getRepository(UserEntity), cache);
  const sessions = new SessionTokensService(
    new JwtService(),
    new SessionSecretRepository(ds),
    config,
    clock,
  );
  const resolver = new BearerResolver(users, sessions, new RevokedSessionsRepository(ds), cache);
  await new ApiTokenInvalidation(cache, notifier).onModuleInit();
  const reads = jest.spyOn(users, 'findByApiTokenHash');
  return {
    notifier,
    users,
    resolve: (token: string) => resolver.resolve(token),
    reads: () => reads.mock.calls.length,
    async stop() {
      await notifier.onModuleDestroy();
      await ds.destroy();
    },
  };
}
type Process = Awaited<ReturnType<typeof startProcess>>;

/** Polls `check` until it holds, for at most 5 s. */
async function within5s(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('not seen within 5 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Two processes cache API-token lookups; a change to the users row made from outside both
 * (plain SQL) reaches each through the users trigger's NOTIFY.
 */
describe('ApiTokenCache across processes (PostgreSQL)', () => {
  let db: TestDatabase;
  let procs: Process[];
  let token: string;
  let userId: number;
  const sql = (text: string, params?: unknown[]) => db.dataSource.query(text, params);

  /** Both come to resolve `token` from memory: no database read for a second lookup. */
  async function expectCachedInBoth() {
    for (const p of procs) {
      // Notices of earlier changes may still be on their way, each emptying the entry once.
      await within5s(async () => {
        await p.resolve(token);
        const before = p.reads();
        const caller = await p.resolve(token);
        return caller !== false && caller.id === userId && p.reads() === before;
      });
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase('tokencache');
    procs = [await startProcess(db), await startProcess(db)];
    await within5s(async () => procs.every((p) => p.notifier.connected));
    token = newApiToken();
    const [row] = await sql(
      `INSERT INTO users (username, password_hash, api_token_hash) VALUES ('alice', 'x', $1) RETURNING id`,
      [hashApiToken(token)],
    );
    userId = row.id;
  });
  afterAll(async () => {
    for (const p of procs ?? []) await p.stop();
    await db?.drop();
  });

  it('disabling the account by SQL is seen by both', async () => {
    await expectCachedInBoth();
    await sql(`UPDATE users SET is_active = false WHERE id = $1`, [userId]);
    for (const p of procs) await within5s(async () => (await p.resolve(token)) === false);
    await sql(`UPDATE users SET is_active = true WHERE id = $1`, [userId]);
    for (const p of procs) await within5s(async () => (await p.resolve(token)) !== false);
  });

  it('a changed weight and urgent right are seen by both', async () => {
    await expectCachedInBoth();
    await sql(`UPDATE users SET weight = 9, can_send_urgent = true WHERE id = $1`, [userId]);
    for (const p of procs) {
      await within5s(async () => {
        const caller = await p.resolve(token);
        return caller !== false && caller.weight === 9 && caller.canSendUrgent;
      });
    }
  });

  it('a replaced token hash stops the old token in both; the new one works', async () => {
    await expectCachedInBoth();
    const next = newApiToken();
    await sql(`UPDATE users SET api_token_hash = $2 WHERE id = $1`, [userId, hashApiToken(next)]);
    for (const p of procs) await within5s(async () => (await p.resolve(token)) === false);
    for (const p of procs) expect(await p.resolve(next)).toMatchObject({ id: userId });
    token = next;
  });

  it('with the LISTEN connection lost, lookups read the database until it is back', async () => {
    await expectCachedInBoth();
    await sql(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = 'smspanel-listen'`,
    );
    await within5s(async () => procs.every((p) => !p.notifier.connected));
    // Changed while nobody listens: no notification will ever tell of it.
    await sql(`UPDATE users SET weight = 3 WHERE id = $1`, [userId]);
    for (const p of procs) expect(await p.resolve(token)).toMatchObject({ weight: 3 });
    await within5s(async () => procs.every((p) => p.notifier.connected));
    await expectCachedInBoth();
  });

  it("this process's own change holds for its next lookup, without waiting for the notice", async () => {
    await expectCachedInBoth();
    const [own] = procs;
    await own.users.update(0, userId, { isActive: false });
    expect(await own.resolve(token)).toBe(false);
    await own.users.update(0, userId, { isActive: true });
    expect(await own.resolve(token)).not.toBe(false);
    await own.users.revokeToken(userId);
    expect(await own.resolve(token)).toBe(false);
    token = await own.users.rotateToken(userId);
  });

  it('a deleted user is seen by both', async () => {
    await expectCachedInBoth();
    await sql(`DELETE FROM users WHERE id = $1`, [userId]);
    for (const p of procs) await within5s(async () => (await p.resolve(token)) === false);
  });
});
