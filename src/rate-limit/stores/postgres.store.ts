import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CLOCK, type Clock } from '../../common/clock.js';
import { DEFAULT_BUCKET_NAME, RATE_LIMIT_BUCKET_NAME } from '../rate-limit.constants.js';
import {
  assertCount,
  msUntil,
  REFILL_SHARE,
  refillParams,
  reserveTokens,
  TOKEN_EPSILON,
} from '../token-bucket.js';
import type {
  BucketSettings,
  TakeOptions,
  TakeResult,
  TokenBucketStore,
} from './token-bucket.store.js';

/** Tokens accrued since updated_at at time `now`, at REFILL_SHARE of the rate, capped at the burst (see token-bucket.ts). */
const refilled = (now: string) =>
  `LEAST(burst_capacity, tokens + msgs_per_sec * ${REFILL_SHARE} * GREATEST(0, EXTRACT(EPOCH FROM ${now} - updated_at)::float8))`;

const INIT_SQL = `
  INSERT INTO rate_limit_buckets (name, msgs_per_sec, burst_capacity, tokens, updated_at)
  VALUES ($1, $2::float8, $3::int, $3::int, clock_timestamp())
  ON CONFLICT (name) DO NOTHING`;

/*
 * Refill + debit in one statement on the database clock, so all processes share one clock.
 * FOR UPDATE serialises takers on the row and hands each the latest version (no over-grant
 * under READ COMMITTED); the UPDATE is skipped when nothing is granted, so refused waiters
 * do not churn row versions on this hot row. updated_at beyond now() is a drain's hold.
 */
const TAKE_SQL = `
  WITH cur AS (
    SELECT tokens, updated_at, msgs_per_sec, burst_capacity, clock_timestamp() AS now
    FROM rate_limit_buckets WHERE name = $1 FOR UPDATE
  ), calc AS (
    SELECT *, ${refilled('now')} AS avail, GREATEST(updated_at, now) AS at,
      CASE WHEN $3::boolean THEN GREATEST(0, LEAST(msgs_per_sec * $5::float8 / 1000, burst_capacity - 1, burst_capacity / 2.0)) ELSE 0 END AS reserve
    FROM cur
  ), decided AS (
    SELECT *, CASE
        WHEN $3::boolean THEN GREATEST(0, LEAST($2::int, floor(avail - reserve + $4::float8)::int))
        WHEN avail + $4::float8 >= $2::int THEN $2::int
        ELSE 0 END AS granted
    FROM calc
  ), debit AS (
    UPDATE rate_limit_buckets b SET tokens = GREATEST(0, d.avail - d.granted), updated_at = d.at
    FROM decided d WHERE b.name = $1 AND d.granted > 0
  )
  SELECT granted, GREATEST(0, avail - granted) AS tokens, msgs_per_sec, burst_capacity,
         EXTRACT(EPOCH FROM at - now)::float8 * 1000 AS hold_ms
  FROM decided`;

const PEEK_SQL = `
  SELECT ${refilled('clock_timestamp()')} AS tokens, msgs_per_sec, burst_capacity
  FROM rate_limit_buckets WHERE name = $1`;

// Refill at the old rate up to now, clamp to the new burst, then switch. Every take reads the
// row, so every process follows the change at its next take.
const CONFIGURE_SQL = `
  UPDATE rate_limit_buckets SET
    tokens = LEAST($3::int, ${refilled('c.now')}),
    updated_at = GREATEST(updated_at, c.now),
    msgs_per_sec = $2::float8, burst_capacity = $3::int
  FROM (SELECT clock_timestamp() AS now) c
  WHERE name = $1
  RETURNING name`;

// Empty now and hold refill until the deadline (see token-bucket.ts drain); a longer hold wins.
const DRAIN_SQL = `
  UPDATE rate_limit_buckets SET tokens = 0,
    updated_at = GREATEST(updated_at, c.now + make_interval(secs => $2::float8 / 1000))
  FROM (SELECT clock_timestamp() AS now) c
  WHERE name = $1`;

interface TakeRow {
  granted: number;
  tokens: number;
  msgs_per_sec: number;
  burst_capacity: number;
  hold_ms: number;
}

/** The cluster-wide bucket: one row of rate_limit_buckets, shared by every process. */
@Injectable()
export class PostgresTokenBucketStore implements TokenBucketStore {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() @Inject(RATE_LIMIT_BUCKET_NAME) private readonly name: string = DEFAULT_BUCKET_NAME,
  ) {}

  async init(defaults: BucketSettings): Promise<void> {
    await this.dataSource.query(INIT_SQL, [this.name, defaults.msgsPerSec, defaults.burstCapacity]);
  }

  async take(n: number, opts: TakeOptions = {}): Promise<TakeResult> {
    const partial = opts.partial ?? false;
    assertCount(n, undefined, partial); // the burst is known only once the row is read
    const rows: TakeRow[] = await this.dataSource.query(TAKE_SQL, [
      this.name,
      n,
      partial,
      TOKEN_EPSILON,
      opts.keepMs ?? 0,
    ]);
    const row = this.one(rows);
    const settings = { msgsPerSec: row.msgs_per_sec, burstCapacity: row.burst_capacity };
    if (row.granted === 0) assertCount(n, settings, partial); // safe: nothing was debited
    // Relative times: the database's now is 0, a drain's hold ends at hold_ms.
    const waitMs =
      row.granted > 0
        ? 0
        : msUntil(
            { tokens: row.tokens, updatedAt: row.hold_ms },
            refillParams(settings),
            0,
            partial ? 1 + reserveTokens(settings, opts.keepMs) : n,
          );
    return { granted: row.granted, tokens: row.tokens, waitMs, settings };
  }

  async peek(): Promise<{ tokens: number; settings: BucketSettings }> {
    const row = this.one<Omit<TakeRow, 'granted' | 'hold_ms'>>(
      await this.dataSource.query(PEEK_SQL, [this.name]),
    );
    return {
      tokens: row.tokens,
      settings: { msgsPerSec: row.msgs_per_sec, burstCapacity: row.burst_capacity },
    };
  }

  async configure(s: BucketSettings): Promise<void> {
    const [rows] = await this.dataSource.query(CONFIGURE_SQL, [
      this.name,
      s.msgsPerSec,
      s.burstCapacity,
    ]);
    this.one(rows);
  }

  async drain(untilMs: number): Promise<void> {
    // The deadline comes from this process's clock; sent as a duration so that the hold is
    // measured on the database clock that every process's take() uses.
    const [, count] = await this.dataSource.query(DRAIN_SQL, [
      this.name,
      Math.max(0, untilMs - this.clock.now()),
    ]);
    if (count !== 1) this.one([]);
  }

  private one<T>(rows: T[]): T {
    if (rows.length !== 1)
      throw new Error(`rate limit bucket "${this.name}" is missing: init() first`);
    return rows[0];
  }
}
