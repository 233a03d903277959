import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { readFileSync } from 'node:fs';
import { AppConfig, QueueRole, RateLimitStoreKind, RateUnit, SmsProvider } from './app-config.js';
import { EnvSchema } from './env.schema.js';
import { parseWindowSpec, type SendWindow } from '../scheduling/send-window.js';

export class ConfigError extends Error {}

/** Their values never appear in an error message: it goes to the terminal and the logs. */
const SECRET_VARIABLES = new Set([
  'DATABASE_URL',
  'ADMIN_PASSWORD',
  'SESSION_SECRET',
  'SMS_API_SECRET',
  'METRICS_TOKEN',
  'SMS_RECEIPT_SECRET',
]);

/** Blank values count as unset, so `PORT= npm start` means "default", not "invalid". */
function withoutBlanks(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''),
  );
}

/** package.json sits two levels above dist/src/config and one above src/config (ts-jest). */
function packageVersion(): string {
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      return String(JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')).version);
    } catch {
      // try the next layout
    }
  }
  return '0.0.0';
}

/**
 * With SMS_RATE_UNIT=segment the largest allowed SMS must fit in the bucket: a request of
 * more segments than the burst would break the window bound on its own.
 */
export function burstTooSmall(burst: number, maxSegments: number): string {
  return `Invalid SMS_BURST_CAPACITY=${burst}: must be at least SMS_MAX_SEGMENTS (${maxSegments}) when SMS_RATE_UNIT=segment`;
}

/**
 * Reads and validates the environment. Throws a ConfigError whose message is one line
 * naming the first bad variable, e.g. `Invalid PORT="abc": PORT must be an integer number`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw = withoutBlanks(env);
  const e = plainToInstance(EnvSchema, raw, { excludeExtraneousValues: false });
  const errors = validateSync(e, { skipMissingProperties: false, forbidUnknownValues: false });
  if (errors.length > 0) {
    const first = errors[0];
    const why = Object.values(first.constraints ?? {}).join('; ');
    const value = SECRET_VARIABLES.has(first.property)
      ? '(value hidden)'
      : JSON.stringify(raw[first.property]);
    throw new ConfigError(`Invalid ${first.property}=${value}: ${why}`);
  }
  const retryBase = e.SMS_RETRY_BASE_MS ?? 1000;
  const retryMax = e.SMS_RETRY_MAX_MS ?? 60000;
  if (retryMax < retryBase) {
    throw new ConfigError(
      `Invalid SMS_RETRY_MAX_MS=${retryMax}: must not be below SMS_RETRY_BASE_MS (${retryBase})`,
    );
  }
  const rateUnit = (e.SMS_RATE_UNIT ?? 'request') as RateUnit;
  const burst = e.SMS_BURST_CAPACITY ?? 4;
  const maxSegments = e.SMS_MAX_SEGMENTS ?? 10;
  if (rateUnit === 'segment' && burst < maxSegments) {
    throw new ConfigError(burstTooSmall(burst, maxSegments));
  }
  let sendWindow: SendWindow | null = null;
  if (e.SMS_SEND_WINDOW?.trim()) {
    try {
      sendWindow = parseWindowSpec(e.SMS_SEND_WINDOW);
    } catch (err) {
      throw new ConfigError(`Invalid ${(err as Error).message}`);
    }
  }
  const provider = (e.SMS_PROVIDER ?? 'simulator') as SmsProvider;
  if (provider !== 'simulator' && !e.SMS_BASE_URL) {
    throw new ConfigError(`Missing SMS_BASE_URL: required when SMS_PROVIDER=${provider}`);
  }
  return {
    version: packageVersion(),
    port: e.PORT ?? 3570,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR ?? '.data',
    databasePoolSize: e.DATABASE_POOL_SIZE ?? 10,
    adminUsername: e.ADMIN_USERNAME ?? 'SMSadmin',
    adminPassword: e.ADMIN_PASSWORD,
    sessionSecret: e.SESSION_SECRET,
    sessionTtlSeconds: Math.round((e.SESSION_TTL_HOURS ?? 12) * 3600),
    loginThrottleLimit: e.LOGIN_THROTTLE_LIMIT ?? 10,
    loginThrottleTtlMs: e.LOGIN_THROTTLE_TTL_MS ?? 60000,
    loginThrottleIpLimit: e.LOGIN_THROTTLE_IP_LIMIT ?? 50,
    trustProxy: e.TRUST_PROXY ?? [],
    corsOrigins: e.CORS_ORIGINS ?? [],
    logLevel: e.LOG_LEVEL ?? 'info',
    smsProvider: provider,
    smsBaseUrl: e.SMS_BASE_URL,
    smsApplicationId: e.SMS_APPLICATION_ID,
    smsSenderNumber: e.SMS_SENDER_NUMBER,
    smsApiSecret: e.SMS_API_SECRET,
    smsRequestTimeoutMs: e.SMS_REQUEST_TIMEOUT_MS ?? 30000,
    simulatorLatencyMs: e.SMS_SIMULATOR_LATENCY_MS ?? 50,
    simulatorFailureRatio: e.SMS_SIMULATOR_FAILURE_RATIO ?? 0,
    smsRatePerSec: e.SMS_RATE_PER_SEC ?? 2,
    smsBurstCapacity: burst,
    smsRateUnit: rateUnit,
    smsMaxAttempts: e.SMS_MAX_ATTEMPTS ?? 3,
    queueConcurrency: e.QUEUE_CONCURRENCY ?? 4,
    queueLeaseMs: e.QUEUE_LEASE_MS ?? 30000,
    queuePollMs: e.QUEUE_POLL_MS ?? 5000,
    smsRetryBaseMs: retryBase,
    smsRetryMaxMs: retryMax,
    smsMaxSegments: maxSegments,
    smsSendWindow: sendWindow,
    smsMaxBulkRecipients: e.SMS_MAX_BULK_RECIPIENTS ?? 100000,
    smsMaxCsvRows: e.SMS_MAX_CSV_ROWS ?? 1_000_000,
    // A quarter of the pool: uploads by the dozen must leave connections for everything else.
    smsMaxConcurrentUploads:
      e.SMS_MAX_CONCURRENT_UPLOADS ?? Math.max(1, Math.floor((e.DATABASE_POOL_SIZE ?? 10) / 4)),
    smsAllowedCountries: e.SMS_ALLOWED_COUNTRIES ?? [],
    smsDefaultCountry: e.SMS_DEFAULT_COUNTRY,
    rateLimitStore: (e.RATE_LIMIT_STORE ?? 'postgres') as RateLimitStoreKind,
    rateLimitJitterMs: e.RATE_LIMIT_JITTER_MS ?? 100,
    queueRole: (e.QUEUE_ROLE ?? 'all') as QueueRole,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS ?? 10000,
    metricsToken: e.METRICS_TOKEN,
    smsReceiptSecret: e.SMS_RECEIPT_SECRET,
    webhookAllowPrivate: e.WEBHOOK_ALLOW_PRIVATE === 'true',
    webhookTimeoutMs: e.WEBHOOK_TIMEOUT_MS ?? 10000,
    webhookRetryBaseMs: e.WEBHOOK_RETRY_BASE_MS ?? 10000,
    webhookConcurrency: e.WEBHOOK_CONCURRENCY ?? 4,
    eventRetentionDays: e.EVENT_RETENTION_DAYS ?? 30,
  };
}
