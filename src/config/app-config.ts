import type { SendWindow } from '../scheduling/send-window.js';

/** The typed, validated configuration every other module receives (never `process.env`). */
export type SmsProvider = 'simulator' | 'hkt' | 'http';
export type RateLimitStoreKind = 'postgres' | 'memory';
export type QueueRole = 'all' | 'api' | 'worker';
/** What one token of the rate limit pays for: a gateway request, or one SMS segment. */
export type RateUnit = 'request' | 'segment';

export interface AppConfig {
  version: string;
  port: number;
  /** Unset means: start an embedded PostgreSQL in `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  /** Size of each process's connection pool. */
  databasePoolSize: number;
  adminUsername: string;
  adminPassword?: string;
  /** Unset means: generated once and kept in the database, shared by every process. */
  sessionSecret?: string;
  sessionTtlSeconds: number;
  loginThrottleLimit: number;
  loginThrottleTtlMs: number;
  /** Failed logins allowed per client address across all usernames, per window. */
  loginThrottleIpLimit: number;
  /** Express `trust proxy`: proxies whose X-Forwarded-For is believed; empty means none. */
  trustProxy: string[];
  corsOrigins: string[];
  logLevel: string;
  smsProvider: SmsProvider;
  smsBaseUrl?: string;
  smsApplicationId?: string;
  smsSenderNumber?: string;
  smsApiSecret?: string;
  smsRequestTimeoutMs: number;
  simulatorLatencyMs: number;
  simulatorFailureRatio: number;
  smsRatePerSec: number;
  smsBurstCapacity: number;
  smsRateUnit: RateUnit;
  smsMaxAttempts: number;
  queueConcurrency: number;
  queueLeaseMs: number;
  queuePollMs: number;
  smsRetryBaseMs: number;
  smsRetryMaxMs: number;
  smsMaxSegments: number;
  /** Default send window of jobs that give none (SCHEDULING.md); null: always. */
  smsSendWindow: SendWindow | null;
  smsMaxBulkRecipients: number;
  /** Data rows of one CSV upload (CONTENT.md). */
  smsMaxCsvRows: number;
  /** CSV uploads one process stores at once (each holds a database connection throughout). */
  smsMaxConcurrentUploads: number;
  smsAllowedCountries: string[];
  smsDefaultCountry?: string;
  rateLimitStore: RateLimitStoreKind;
  /** Refill kept back by batch takes to absorb token-to-gateway delay differences. */
  rateLimitJitterMs: number;
  queueRole: QueueRole;
  shutdownGraceMs: number;
  /** Set: /metrics answers only `Authorization: Bearer <metricsToken>`. Unset: open. */
  metricsToken?: string;
  /** Set: POST /api/gateway/receipts takes `Authorization: Bearer <it>`. Unset: 404. */
  smsReceiptSecret?: string;
  /** Webhook URLs may point at loopback, private, link-local or unspecified addresses. */
  webhookAllowPrivate: boolean;
  /** A webhook delivery that has no 2xx answer by then is a failed attempt. */
  webhookTimeoutMs: number;
  /** The first retry's delay; the backoff schedule scales with it (10 s: 10 s, 1 min, 5 min...). */
  webhookRetryBaseMs: number;
  /** Deliveries in flight per endpoint, cluster-wide. */
  webhookConcurrency: number;
  /** Webhook events, their deliveries and the SMS event history are kept this many days. */
  eventRetentionDays: number;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
