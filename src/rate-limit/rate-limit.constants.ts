/** DI tokens of the rate-limit module (the Clock comes under CLOCK from common/clock.ts). */

/** The TokenBucketStore chosen by config.rateLimitStore. */
export const RATE_LIMIT_STORE = Symbol('RATE_LIMIT_STORE');

/** Optional: name of the bucket row; one bucket, DEFAULT_BUCKET_NAME, is shared by all SMS. */
export const RATE_LIMIT_BUCKET_NAME = Symbol('RATE_LIMIT_BUCKET_NAME');

export const DEFAULT_BUCKET_NAME = 'sms';

/** A waiter re-reads the bucket at least this often, so a runtime rate change is followed within 1 s. */
export const MAX_SLEEP_MS = 1000;
