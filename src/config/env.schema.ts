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
} from 'class-validator';

const toNumber = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : Number(value);
const toList = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean)
    : value;

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
  @IsOptional() @Transform(toNumber) @IsInt() @Min(1) @Max(100) SMS_MAX_ATTEMPTS?: number;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(1) @Max(10000) QUEUE_CONCURRENCY?: number;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(1000) @Max(3600000) QUEUE_LEASE_MS?: number;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(100) @Max(600000) QUEUE_POLL_MS?: number;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(1) @Max(3600000) SMS_RETRY_BASE_MS?: number;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(1) @Max(86400000) SMS_RETRY_MAX_MS?: number;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(1) @Max(255) SMS_MAX_SEGMENTS?: number;
  @IsOptional()
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(1000000)
  SMS_MAX_BULK_RECIPIENTS?: number;
  @IsOptional()
  @Transform(toList)
  @Matches(/^[A-Z]{2}$/, { each: true })
  SMS_ALLOWED_COUNTRIES?: string[];
  @IsOptional() @Matches(/^[A-Z]{2}$/) SMS_DEFAULT_COUNTRY?: string;
  @IsOptional() @IsIn(['postgres', 'memory']) RATE_LIMIT_STORE?: string;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(0) @Max(10000) RATE_LIMIT_JITTER_MS?: number;
  @IsOptional() @IsIn(['all', 'api', 'worker']) QUEUE_ROLE?: string;
  @IsOptional() @Transform(toNumber) @IsInt() @Min(0) @Max(600000) SHUTDOWN_GRACE_MS?: number;
}
