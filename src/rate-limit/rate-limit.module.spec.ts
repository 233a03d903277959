import { describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { type AppConfig } from '../config/app-config.js';
import { AppConfigModule } from '../config/config.module.js';
import { RATE_LIMIT_STORE } from './rate-limit.constants.js';
import { RateLimitModule } from './rate-limit.module.js';
import { RateLimiterService } from './rate-limiter.service.js';
import { MemoryTokenBucketStore } from './stores/memory.store.js';

describe(RateLimitModule.name, () => {
  it('builds the memory store from the config, initialised with its defaults, without a database', async () => {
    const config = { rateLimitStore: 'memory', smsRatePerSec: 3, smsBurstCapacity: 7 } as AppConfig;
    const moduleRef = await Test.createTestingModule({
      imports: [AppConfigModule.forRoot(config), RateLimitModule],
    }).compile();
    const sut = moduleRef.get(RateLimiterService);
    expect(await sut.settings()).toEqual({ msgsPerSec: 3, burstCapacity: 7 });
    expect(await sut.availableTokens()).toBe(7);
    expect(moduleRef.get(RATE_LIMIT_STORE)).toBeInstanceOf(MemoryTokenBucketStore);
    await moduleRef.close();
  });
});
