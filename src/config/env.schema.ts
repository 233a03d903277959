import { Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
} from 'class-validator';
import { isIP } from 'node:net';

const toNumber = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : Number(value);
const toList = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean)
    : value;

/** One TRUST_PROXY entry: a name express knows, or an IPv4/IPv6 address with optional /bits. */
function isTrustedProxy(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  if (['loopback', 'linklocal', 'uniquelocal'].includes(value)) return true;
  const [address, bits, ...rest] = value.split('/');
  const family = isIP(address);
  if (!family || rest.length) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && +bits <= (family === 4 ? 32 : 128));
}

/**
 * Every environment variable smspanel reads, with its rule. Names match the documented
 * variables exactly so a validation error names the variable the operator has to fix.
 */
export class EnvSchema {
  @IsOptional() @Transform(toNumber) @IsInt() @Min(0) @Max(65535) PORT?: number;
  @IsOptional()
  @IsUrl({ protocols: ['postgres', 'postgresql'], require_tld: false, require_protocol: true })
  DATABASE_URL?: string;
  @IsOptional() @IsString() @MinLength(1) DATA_DIR?: string;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(2) @Max(200) DATABASE_POOL_SIZE?: number;
  @IsOptional() @Matches(/^[A-Za-z0-9_.-]{3,64}$/) ADMIN_USERNAME?: string;
  @IsOptional() @IsString() @MinLength(8) @MaxLength(200) ADMIN_PASSWORD?: string;
  @IsOptional() @IsString() @MinLength(32) SESSION_SECRET?: string;
  @IsOptional() @Transform(toNumber) @IsNumber() @Min(0.01) @Max(720) SESSION_TTL_HOURS?: number;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(1) LOGIN_THROTTLE_LIMIT?: number;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(1000) LOGIN_THROTTLE_TTL_MS?: number;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(1) LOGIN_THROTTLE_IP_LIMIT?: number;
  @IsOptional()
  @Transform(toList)
  @ValidateBy({
    name: 'isTrustedProxy',
    validator: {
      validate: (v) => Array.isArray(v) && v.every(isTrustedProxy),
      defaultMessage: () =>
        'TRUST_PROXY must list addresses, subnets (CIDR) or loopback, linklocal, uniquelocal',
    },
  })
  TRUST_PROXY?: string[];
  @IsOptional() @Transform(toList) @IsString({ each: true }) CORS_ORIGINS?: string[];
  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL?: string;
  @IsOptional() @IsIn(['simulator', 'hkt', 'http']) SMS_PROVIDER?: string;
  @IsOptional() @IsUrl({ require_tld: false, require_protocol: true }) SMS_BASE_URL?: string;
  @IsOptional() @IsString() SMS_APPLICATION_ID?: string;
  @IsOptional() @IsString() SMS_SENDER_NUMBER?: string;
  @IsOptional() @IsString() SMS_API_SECRET?: string;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(1) @Max(600000) SMS_REQUEST_TIMEOUT_MS?: number;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(0) @Max(60000) SMS_SIMULATOR_LATENCY_MS?: number;
  @IsOptional()
  @Transform(toNumber)
  @IsNumber()
  @Min(0)
  @Max(1)
  SMS_SIMULATOR_FAILURE_RATIO?: number;
  @IsOptional() @Transform(toNumber) @IsNumber() @Min(0.001) @Max(100000) SMS_RATE_PER_SEC?: number;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(1) @Max(100000) SMS_BURST_CAPACITY?: number;
  @IsOptional() @IsIn(['request', 'segment']) SMS_RATE_UNIT?: string;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(1) @Max(100) SMS_MAX_ATTEMPTS?: number;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(1) @Max(10000) QUEUE_CONCURRENCY?: number;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(1000) @Max(3600000) QUEUE_LEASE_MS?: number;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(100) @Max(600000) QUEUE_POLL_MS?: number;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(1) @Max(3600000) SMS_RETRY_BASE_MS?: number;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(1) @Max(86400000) SMS_RETRY_MAX_MS?: number;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(1) @Max(255) SMS_MAX_SEGMENTS?: number;
  @IsOptional() @IsString() SMS_SEND_WINDOW?: string;
  @IsOptional()
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(1000000)
  SMS_MAX_BULK_RECIPIENTS?: number;
  @IsOptional()
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(10000000)
  SMS_MAX_CSV_ROWS?: number;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(1) @Max(100) SMS_MAX_CONCURRENT_UPLOADS?: number;
  @IsOptional()
  @Transform(toList)
  @Matches(/^[A-Z]{2}$/, { each: true })
  SMS_ALLOWED_COUNTRIES?: string[];
  @IsOptional() @Matches(/^[A-Z]{2}$/) SMS_DEFAULT_COUNTRY?: string;
  @IsOptional() @IsIn(['postgres', 'memory']) RATE_LIMIT_STORE?: string;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(0) @Max(10000) RATE_LIMIT_JITTER_MS?: number;
  @IsOptional() @IsIn(['all', 'api', 'worker']) QUEUE_ROLE?: string;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(0) @Max(600000) SHUTDOWN_GRACE_MS?: number;
  @IsOptional() @Matches(/^[\x21-\x7e]{16,512}$/) METRICS_TOKEN?: string;
  @IsOptional() @IsIn(['true', 'false']) WEBHOOK_ALLOW_PRIVATE?: string;
  @IsOptional() @Matches(/^[\x21-\x7e]{16,512}$/) SMS_RECEIPT_SECRET?: string;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(100) @Max(60000) WEBHOOK_TIMEOUT_MS?: number;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(10) @Max(600000) WEBHOOK_RETRY_BASE_MS?: number;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(1) @Max(100) WEBHOOK_CONCURRENCY?: number;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(1) @Max(3650) EVENT_RETENTION_DAYS?: number;
}
