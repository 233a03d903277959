import { Module } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { CLOCK, SystemClock } from '../common/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { AdminRateLimitController } from './admin-rate-limit.controller.js';
import { RATE_LIMIT_STORE } from './rate-limit.constants.js';
import { RateLimiterService } from './rate-limiter.service.js';
import { MemoryTokenBucketStore } from './stores/memory.store.js';
import { PostgresTokenBucketStore } from './stores/postgres.store.js';
import type { TokenBucketStore } from './stores/token-bucket.store.js';

/**
 * The cluster-wide SMS rate limit. The DataSource comes from the global TypeORM root; only
 * the chosen store is built, so the memory store needs no database.
 */
@Module({
  controllers: [AdminRateLimitController],
  providers: [
    { provide: CLOCK, useClass: SystemClock },
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
        return store;
      },
    },
    RateLimiterService,
  ],
  exports: [RateLimiterService],
})
export class RateLimitModule {}
