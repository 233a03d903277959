import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CreateRateLimitBuckets1764300000200 } from '../migrations/1764300000200-CreateRateLimitBuckets.js';
import { SystemClock } from '../src/common/clock.js';
import type { AppConfig } from '../src/config/app-config.js';
import { AppConfigModule } from '../src/config/config.module.js';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { RateLimitModule } from '../src/rate-limit/rate-limit.module.js';
import { RateLimiterService } from '../src/rate-limit/rate-limiter.service.js';
import { PostgresTokenBucketStore } from '../src/rate-limit/stores/postgres.store.js';
import { REFILL_SHARE } from '../src/rate-limit/token-bucket.js';
import type { BucketSettings } from '../src/rate-limit/stores/token-bucket.store.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

/** Two processes' worth of limiter on one database: separate DataSources (pools), one bucket row. */
describe('RateLimit (PostgreSQL store)', () => {
  let db: TestDatabase;
  let other: DataSource;
  const clock = new SystemClock();

  beforeAll(async () => {
    db = await createTestDatabase('ratelimit');
    other = await new DataSource(dataSourceOptions(db.url, 4)).initialize();
  });

  afterAll(async () => {
    if (other?.isInitialized) await other.destroy();
    await db?.drop();
  });

  /** Each test its own bucket name, so tests do not share tokens. */
  async function pair(name: string, settings: BucketSettings) {
    const stores = [db.dataSource, other].map(
      (ds) => new PostgresTokenBucketStore(ds, clock, name),
    );
    for (const s of stores) await s.init(settings);
    const [a, b] = stores.map((s) => new RateLimiterService(s, clock));
    return { a, b, storeA: stores[0], storeB: stores[1] };
  }

  it('shares one bucket between two instances: exactly the burst at once, then none', async () => {
    const { storeA, storeB } = await pair('shared', { msgsPerSec: 0.001, burstCapacity: 4 });
    const results = await Promise.all(
      [...Array(6)].flatMap(() => [storeA.take(1), storeB.take(1)]),
    );
    expect(results.reduce((n, r) => n + r.granted, 0)).toBe(4);
    expect((await storeA.take(1)).granted).toBe(0);
    expect((await storeB.take(1)).granted).toBe(0);
  });

  it('never over-grants under concurrent takes from many connections', async () => {
    const { storeA, storeB } = await pair('race', { msgsPerSec: 0.001, burstCapacity: 10 });
    const takes = [...Array(50)].map((_, i) => (i % 2 ? storeA : storeB).take(1));
    const granted = (await Promise.all(takes)).reduce((sum, r) => sum + r.granted, 0);
    expect(granted).toBe(10);
  });

  it('paces many waiters in two processes at the rate, neither faster nor much slower', async () => {
    const { a, b } = await pair('pace', { msgsPerSec: 50, burstCapacity: 5 });
    const start = Date.now();
    await Promise.all([...Array(20)].flatMap(() => [a.acquireBatch(1), b.acquireBatch(1)]));
    const elapsed = Date.now() - start;
    // 40 tokens = the burst of 5 + 35 refilled at 50/s = 700 ms (a few ms of clock slack).
    expect(elapsed).toBeGreaterThanOrEqual(695);
    expect(elapsed).toBeLessThan(2000);
  });

  it('grants batches and reports the wait for the next token on the database clock', async () => {
    const { storeA, storeB } = await pair('batch', { msgsPerSec: 0.5, burstCapacity: 10 });
    expect((await storeA.take(3, { partial: true })).granted).toBe(3);
    expect(await storeB.take(100, { partial: true })).toMatchObject({ granted: 7, waitMs: 0 });
    const refused = await storeA.take(5, { partial: true });
    expect(refused.granted).toBe(0);
    expect(refused.waitMs).toBeGreaterThan(1900);
    expect(refused.waitMs).toBeLessThanOrEqual(2000);
  });

  it('refills at REFILL_SHARE of the rate: wall-clock slew never makes the gateway see more', async () => {
    const { storeA } = await pair('share', { msgsPerSec: 2, burstCapacity: 5_000 });
    // Empty, as last accounted 1 000 s ago on the database clock: 2 000 tokens at the full rate.
    await db.dataSource.query(
      `UPDATE rate_limit_buckets SET tokens = 0, updated_at = clock_timestamp() - interval '1000 s'
       WHERE name = 'share'`,
    );
    const { tokens } = await storeA.peek();
    expect(REFILL_SHARE).toBeLessThan(1);
    expect(tokens).toBeGreaterThanOrEqual(2_000 * REFILL_SHARE);
    expect(tokens).toBeLessThan(2_000 * REFILL_SHARE + 0.1);
    // And a refused take waits for the slower refill. At 1 token per 5 000 s the full rate
    // would say 5 000 000 ms; REFILL_SHARE's says 5 000 s / REFILL_SHARE, less the time
    // between this UPDATE and the take (seconds would be needed to blur the difference).
    await db.dataSource.query(
      `UPDATE rate_limit_buckets SET msgs_per_sec = 0.0002, tokens = 0, updated_at = clock_timestamp()
       WHERE name = 'share'`,
    );
    const refused = await storeA.take(1);
    expect(refused.granted).toBe(0);
    expect(refused.waitMs).toBeGreaterThan(5_000_000);
    expect(refused.waitMs).toBeLessThanOrEqual(Math.ceil(5_000_000 / REFILL_SHARE));
  });

  it('refuses an all-or-nothing take above the burst and debits nothing', async () => {
    const { storeA } = await pair('toobig', { msgsPerSec: 1, burstCapacity: 3 });
    await expect(storeA.take(4)).rejects.toThrow(RangeError);
    expect((await storeA.peek()).tokens).toBeCloseTo(3, 6);
  });

  it('persists configure, clamps the tokens and tells the other instance', async () => {
    const { a, b } = await pair('config', { msgsPerSec: 2, burstCapacity: 10 });
    expect(await a.configure({ msgsPerSec: 5, burstCapacity: 3 })).toEqual({
      msgsPerSec: 5,
      burstCapacity: 3,
    });
    expect(await b.settings()).toEqual({ msgsPerSec: 5, burstCapacity: 3 });
    expect(await b.availableTokens()).toBeCloseTo(3, 6);
  });

  it('drain holds off both instances until the deadline', async () => {
    const { a, b, storeA, storeB } = await pair('drain', { msgsPerSec: 1000, burstCapacity: 5 });
    const start = Date.now();
    await a.drain(start + 400);
    expect((await storeA.take(1)).granted).toBe(0);
    const refused = await storeB.take(1);
    expect(refused.waitMs).toBeGreaterThan(300);
    expect(refused.waitMs).toBeLessThanOrEqual(402);
    await b.acquireBatch(1);
    expect(Date.now() - start).toBeGreaterThanOrEqual(395); // a few ms of app/database clock slack
  });

  it('keeps persisted settings over the defaults of a later init', async () => {
    const { a } = await pair('reinit', { msgsPerSec: 2, burstCapacity: 5 });
    await a.configure({ msgsPerSec: 7, burstCapacity: 9 });
    const restarted = new PostgresTokenBucketStore(other, clock, 'reinit');
    await restarted.init({ msgsPerSec: 1, burstCapacity: 1 });
    expect((await restarted.peek()).settings).toEqual({ msgsPerSec: 7, burstCapacity: 9 });
  });

  it('fails clearly when the bucket was never initialised', async () => {
    const store = new PostgresTokenBucketStore(db.dataSource, clock, 'missing');
    await expect(store.take(1)).rejects.toThrow(/init\(\)/);
    await expect(store.drain(Date.now())).rejects.toThrow(/init\(\)/);
    await expect(store.configure({ msgsPerSec: 1, burstCapacity: 1 })).rejects.toThrow(/init\(\)/);
  });

  it('RateLimitModule wires the PostgreSQL store to the app DataSource and creates the bucket', async () => {
    const config = {
      rateLimitStore: 'postgres',
      smsRatePerSec: 3,
      smsBurstCapacity: 6,
    } as AppConfig;
    const moduleRef = await Test.createTestingModule({
      imports: [
        AppConfigModule.forRoot(config),
        TypeOrmModule.forRoot(dataSourceOptions(db.url, 2)),
        RateLimitModule,
      ],
    }).compile();
    try {
      expect(await moduleRef.get(RateLimiterService).settings()).toEqual({
        msgsPerSec: 3,
        burstCapacity: 6,
      });
      const rows = await db.dataSource.query(
        `SELECT msgs_per_sec, burst_capacity FROM rate_limit_buckets WHERE name = 'sms'`,
      );
      expect(rows).toEqual([{ msgs_per_sec: 3, burst_capacity: 6 }]);
    } finally {
      await moduleRef.close();
    }
  });

  it('migration down drops the table and up recreates it', async () => {
    const runner = other.createQueryRunner();
    await runner.startTransaction(); // DDL is transactional: rolled back afterwards
    try {
      const migration = new CreateRateLimitBuckets1764300000200();
      await migration.down(runner);
      expect(await runner.hasTable('rate_limit_buckets')).toBe(false);
      await migration.up(runner);
      expect(await runner.hasTable('rate_limit_buckets')).toBe(true);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });

  it('a batch take leaves the keepMs reserve for every instance', async () => {
    const { a, b } = await pair('reserve', { msgsPerSec: 0.01, burstCapacity: 4 });
    expect((await a.acquireBatch(10, { keepMs: 50_000 })).granted).toBe(3);
    expect(await b.availableTokens()).toBeCloseTo(1, 2);
    const store = new PostgresTokenBucketStore(other, clock, 'reserve');
    expect((await store.take(1, { partial: true, keepMs: 50_000 })).granted).toBe(0);
  });
});
