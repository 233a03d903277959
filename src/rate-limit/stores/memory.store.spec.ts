import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '../testing/fake-clock.js';
import { REFILL_SHARE } from '../token-bucket.js';
import { MemoryTokenBucketStore } from './memory.store.js';

describe(MemoryTokenBucketStore.name, () => {
  it('refills at REFILL_SHARE of the rate, as the PostgreSQL store does', async () => {
    const clock = new FakeClock(1_764_300_000_000);
    const store = new MemoryTokenBucketStore(clock);
    await store.init({ msgsPerSec: 2, burstCapacity: 5_000 });
    expect((await store.take(5_000)).granted).toBe(5_000);
    await clock.advance(1_000_000); // 2 000 tokens at the full rate
    const { tokens, settings } = await store.peek();
    expect(REFILL_SHARE).toBeLessThan(1);
    expect(tokens).toBeCloseTo(2_000 * REFILL_SHARE, 9);
    // The configured rate is what callers are told.
    expect(settings.msgsPerSec).toBe(2);
  });
});
