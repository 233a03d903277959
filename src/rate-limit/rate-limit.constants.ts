import type { RateUnit } from '../config/app-config.js';

/** DI tokens of the rate-limit module (the Clock comes under CLOCK from common/clock.ts). */

/** The TokenBucketStore chosen by config.rateLimitStore. */
export const RATE_LIMIT_STORE = Symbol('RATE_LIMIT_STORE');

/** Optional: name of the bucket row; one bucket, DEFAULT_BUCKET_NAME, is shared by all SMS. */
export const RATE_LIMIT_BUCKET_NAME = Symbol('RATE_LIMIT_BUCKET_NAME');

export const DEFAULT_BUCKET_NAME = 'sms';

/** A waiter re-reads the bucket at least this often, so a runtime rate change is followed within 1 s. */
export const MAX_SLEEP_MS = 1000;

/** Optional: what a token pays for (SMS_RATE_UNIT) and the smallest burst that allows. */
export const RATE_UNIT = Symbol('RATE_UNIT');

export interface RateUnitRule {
  unit: RateUnit;
  /** With `segment`: SMS_MAX_SEGMENTS, so that the largest allowed SMS fits in the bucket. */
  minBurst: number;
}

/** One token per gateway request: any burst of at least one token. */
export const PER_REQUEST: RateUnitRule = { unit: 'request', minBurst: 1 };
