import { beforeEach, describe, expect, it } from '@jest/globals';
import { FakeClock } from '../rate-limit/testing/fake-clock.js';
import {
  API_TOKEN_CACHE_SIZE,
  API_TOKEN_CACHE_TTL_MS,
  ApiTokenCache,
  type CachedUser,
} from './api-token-cache.js';

const user = (id: number, extra: Partial<CachedUser> = {}): CachedUser => ({
  id,
  username: `u${id}`,
  isAdmin: false,
  isActive: true,
  canSendUrgent: false,
  weight: 1,
  createdAt: new Date(0),
  ...extra,
});

/** A database stand-in that counts reads; `rows` is what the next read answers. */
class Rows {
  readonly rows = new Map<string, CachedUser>();
  reads = 0;
  load = (hash: string) => async () => {
    this.reads++;
    return this.rows.get(hash) ?? null;
  };
}

describe('ApiTokenCache', () => {
  let clock: FakeClock;
  let cache: ApiTokenCache;
  let db: Rows;
  const lookup = (hash: string) => cache.lookup(hash, db.load(hash));

  beforeEach(() => {
    clock = new FakeClock(1_000_000);
    cache = new ApiTokenCache(clock);
    db = new Rows();
    db.rows.set('h1', user(1));
    db.rows.set('h2', user(2));
    cache.setLive(true);
  });

  it('answers a repeated lookup from memory, keeping no password hash', async () => {
    db.rows.set('h3', { ...user(3), passwordHash: 'secret' } as CachedUser);
    expect(await lookup('h1')).toEqual(user(1));
    expect(await lookup('h1')).toEqual(user(1));
    expect(db.reads).toBe(1);
    await lookup('h3');
    expect(await lookup('h3')).not.toHaveProperty('passwordHash');
  });

  it('does not cache unknown tokens', async () => {
    expect(await lookup('nope')).toBeNull();
    expect(await lookup('nope')).toBeNull();
    expect(db.reads).toBe(2);
  });

  it('reads again once the TTL is over', async () => {
    await lookup('h1');
    await clock.advance(API_TOKEN_CACHE_TTL_MS - 1);
    await lookup('h1');
    expect(db.reads).toBe(1);
    db.rows.set('h1', user(1, { weight: 7 }));
    await clock.advance(1);
    expect((await lookup('h1'))?.weight).toBe(7);
    expect(db.reads).toBe(2);
  });

  it('evicts the oldest entry beyond its size', async () => {
    for (let id = 1; id <= API_TOKEN_CACHE_SIZE + 1; id++) {
      db.rows.set(`h${id}`, user(id));
      await lookup(`h${id}`);
    }
    db.reads = 0;
    await lookup('h2');
    await lookup(`h${API_TOKEN_CACHE_SIZE + 1}`);
    expect(db.reads).toBe(0);
    await lookup('h1');
    expect(db.reads).toBe(1);
  });

  it("forget(user) drops that user's entry only", async () => {
    await lookup('h1');
    await lookup('h2');
    db.rows.set('h1', user(1, { isActive: false }));
    cache.forget(1);
    expect((await lookup('h1'))?.isActive).toBe(false);
    await lookup('h2');
    expect(db.reads).toBe(3);
  });

  it("a user's new token replaces the entry of the old one", async () => {
    await lookup('h1');
    db.rows.delete('h1');
    db.rows.set('h1b', user(1));
    await lookup('h1b');
    expect(await lookup('h1')).toBeNull();
  });

  it('does not store a row read before an invalidation that came while it was read', async () => {
    let release!: () => void;
    const slow = cache.lookup('h1', async () => {
      await new Promise<void>((r) => (release = r));
      return user(1); // read before the change below
    });
    cache.forget(1);
    release();
    expect(await slow).toEqual(user(1));
    db.rows.set('h1', user(1, { isActive: false }));
    expect((await lookup('h1'))?.isActive).toBe(false);
  });

  it('neither answers from nor fills the cache while not live, and empties itself both ways', async () => {
    await lookup('h1');
    cache.setLive(false);
    await lookup('h1');
    await lookup('h1');
    expect(db.reads).toBe(3);
    cache.setLive(true);
    await lookup('h1');
    await lookup('h1');
    expect(db.reads).toBe(4);
    cache.setLive(false);
    cache.setLive(true);
    await lookup('h1');
    expect(db.reads).toBe(5);
  });

  it('does not store a row read across a lost connection', async () => {
    let release!: () => void;
    const slow = cache.lookup('h1', async () => {
      await new Promise<void>((r) => (release = r));
      return user(1);
    });
    cache.setLive(false);
    cache.setLive(true);
    release();
    await slow;
    await lookup('h1');
    expect(db.reads).toBe(1);
  });

  it('clear() drops everything', async () => {
    await lookup('h1');
    await lookup('h2');
    cache.clear();
    await lookup('h1');
    await lookup('h2');
    expect(db.reads).toBe(4);
  });
});
