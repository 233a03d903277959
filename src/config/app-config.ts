/** The typed, validated configuration every other module receives (never `process.env`). */
export type SmsProvider = 'simulator' | 'hkt' | 'http';
export type RateLimitStoreKind = 'postgres' | 'memory';
export type QueueRole = 'all' | 'api' | 'worker';

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
  smsMaxAttempts: number;
  queueConcurrency: number;
  queueLeaseMs: number;
  queuePollMs: number;
  smsRetryBaseMs: number;
  smsRetryMaxMs: number;
  smsMaxSegments: number;
  smsMaxBulkRecipients: number;
  smsAllowedCountries: string[];
  smsDefaultCountry?: string;
  rateLimitStore: RateLimitStoreKind;
  /** Refill kept back by batch takes to absorb token-to-gateway delay differences. */
  rateLimitJitterMs: number;
  queueRole: QueueRole;
  shutdownGraceMs: number;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
