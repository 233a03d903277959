import { Logger, Module } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ClockModule } from '../common/clock.module.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { AdminRateLimitController } from './admin-rate-limit.controller.js';
import {
  PER_REQUEST,
  RATE_LIMIT_STORE,
  RATE_UNIT,
  type RateUnitRule,
} from './rate-limit.constants.js';
import { RateLimiterService } from './rate-limiter.service.js';
import { MemoryTokenBucketStore } from './stores/memory.store.js';
import { PostgresTokenBucketStore } from './stores/postgres.store.js';
import type { TokenBucketStore } from './stores/token-bucket.store.js';

/**
 * The cluster-wide SMS rate limit. The DataSource comes from the global TypeORM root; only
 * the chosen store is built, so the memory store needs no database.
 */
@Module({
  imports: [ClockModule],
  controllers: [AdminRateLimitController],
  providers: [
    {
      provide: RATE_LIMIT_STORE,
      inject: [APP_CONFIG, ModuleRef],
      // The bucket is created while the module is built, so no other module's init hook
      // can take a token before the row exists.
      useFactory: async (config: AppConfig, moduleRef: ModuleRef): Promise<TokenBucketStore> => {
        const store: TokenBucketStore =
          config.rateLimitStore === 'memory'
            ? await moduleRef.create(MemoryTokenBucketStore)
            : await moduleRef.create(PostgresTokenBucketStore);
        await store.init({
          msgsPerSec: config.smsRatePerSec,
          burstCapacity: config.smsBurstCapacity,
        });
        // The configured burst was checked at start, but a burst set earlier through the
        // admin API (with the unit `request`) is kept over it.
        const { burstCapacity } = (await store.peek()).settings;
        if (config.smsRateUnit === 'segment' && burstCapacity < config.smsMaxSegments) {
          new Logger('RateLimit').warn(
            `the stored burst (${burstCapacity}) is below SMS_MAX_SEGMENTS (${config.smsMaxSegments}): a message of more segments than the burst exceeds it; raise it with PUT /api/admin/rate-limit`,
          );
        }
        return store;
      },
    },
    {
      provide: RATE_UNIT,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): RateUnitRule =>
        config.smsRateUnit === 'segment'
          ? { unit: 'segment', minBurst: config.smsMaxSegments }
          : PER_REQUEST,
    },
    RateLimiterService,
  ],
  exports: [RateLimiterService],
})
export class RateLimitModule {}
