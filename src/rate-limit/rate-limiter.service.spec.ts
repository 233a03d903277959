import { describe, expect, it } from '@jest/globals';
import { RateLimiterService } from './rate-limiter.service.js';
import { MemoryTokenBucketStore } from './stores/memory.store.js';
import { FakeClock, flush } from './testing/fake-clock.js';

/** These tests time the limiter to the millisecond: the bucket refills at the full rate. */
const EXACT_RATE = 1;

async function setup(msgsPerSec: number, burstCapacity: number) {
  const clock = new FakeClock(1_764_300_000_000);
  const store = new MemoryTokenBucketStore(clock, EXACT_RATE);
  await store.init({ msgsPerSec, burstCapacity });
  const start = clock.now();
  return {
    sut: new RateLimiterService(store, clock),
    clock,
    store,
    elapsed: () => clock.now() - start,
  };
}

/** Records when each promise settles, in fake-clock ms since setup. */
function track<T>(p: Promise<T>, elapsed: () => number) {
  const t: { at?: number; value?: T; error?: unknown } = {};
  p.then(
    (value) => Object.assign(t, { at: elapsed(), value }),
    (error: unknown) => Object.assign(t, { at: elapsed(), error }),
  );
  return t;
}

describe(RateLimiterService.name, () => {
  it('acquires at once while tokens are in the bucket, without sleeping', async () => {
    const { sut, clock } = await setup(2, 3);
    await sut.acquireBatch(1);
    await sut.acquireBatch(2);
    expect(clock.sleeps).toEqual([]);
    expect(await sut.availableTokens()).toBe(0);
  });

  it('sleeps exactly until the token is due (0.5/s: 2000 ms)', async () => {
    const { sut, clock, elapsed } = await setup(0.5, 1);
    await sut.acquireBatch(1);
    const next = track(sut.acquireBatch(1), elapsed);
    await clock.advance(1999);
    expect(next.at).toBeUndefined();
    await clock.advance(1);
    expect(next.at).toBe(2000);
    expect(clock.sleeps).toEqual([1000, 1000]); // 2000 ms, in slices of at most 1 s
  });

  it('sleeps the computed time below the 1 s cap in one go', async () => {
    const { sut, clock, elapsed } = await setup(2, 2);
    await sut.acquireBatch(2);
    const next = track(sut.acquireBatch(1), elapsed);
    await clock.advance(500);
    expect(next.at).toBe(500);
    expect(clock.sleeps).toEqual([500]);
  });

  it('re-reads the bucket at least every second on a long wait', async () => {
    const { sut, clock, elapsed } = await setup(0.1, 1);
    await sut.acquireBatch(1);
    const next = track(sut.acquireBatch(1), elapsed);
    await clock.advance(10_000);
    expect(next.at).toBe(10_000);
    expect(clock.sleeps).toEqual(Array(10).fill(1000));
  });

  it('follows a rate change made mid-wait within 1 s', async () => {
    const { sut, clock, elapsed } = await setup(0.1, 1);
    await sut.acquireBatch(1);
    const next = track(sut.acquireBatch(1), elapsed);
    await clock.advance(200);
    expect(await sut.configure({ msgsPerSec: 10, burstCapacity: 1 })).toEqual({
      msgsPerSec: 10,
      burstCapacity: 1,
    });
    await clock.advance(800);
    expect(next.at).toBe(1000);
  });

  it('rejects with an AbortError when the signal aborts during the wait', async () => {
    const { sut, clock, elapsed } = await setup(1, 1);
    await sut.acquireBatch(1);
    const ac = new AbortController();
    const next = track(sut.acquireBatch(1, { signal: ac.signal }), elapsed);
    await flush();
    ac.abort();
    await flush();
    expect(next.error).toMatchObject({ name: 'AbortError' });
    expect(clock.pending).toBe(0);
    await clock.advance(1000);
    expect(await sut.availableTokens()).toBe(1); // the aborted waiter took nothing
  });

  it('rejects at once when already aborted', async () => {
    const { sut } = await setup(1, 1);
    await expect(sut.acquireBatch(1, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(await sut.availableTokens()).toBe(1);
  });

  it('serves waiters in FIFO order, one sleeping at a time', async () => {
    const { sut, clock, elapsed } = await setup(1, 1);
    const order: string[] = [];
    const waiters = ['a', 'b', 'c', 'd'].map((name) => {
      const t = track(
        sut.acquireBatch(1).then(() => order.push(name)),
        elapsed,
      );
      return t;
    });
    await flush();
    expect(order).toEqual(['a']);
    expect(clock.pending).toBe(1); // later waiters queue in-process; they do not query the store
    await clock.advance(3000);
    expect(order).toEqual(['a', 'b', 'c', 'd']);
    expect(waiters.map((w) => w.at)).toEqual([0, 1000, 2000, 3000]);
  });

  it('lets a waiter aborted while queued leave at once without breaking the order', async () => {
    const { sut, clock, elapsed } = await setup(1, 1);
    await sut.acquireBatch(1);
    const ac = new AbortController();
    const b = track(sut.acquireBatch(1), elapsed);
    const c = track(sut.acquireBatch(1, { signal: ac.signal }), elapsed);
    const d = track(sut.acquireBatch(1), elapsed);
    await flush();
    ac.abort();
    await flush();
    expect(c.error).toMatchObject({ name: 'AbortError' });
    expect(c.at).toBe(0);
    expect(clock.pending).toBe(1); // d still waits behind b
    await clock.advance(2000);
    expect([b.at, d.at]).toEqual([1000, 2000]);
  });

  it('blocks until the drain deadline, then the next token at the rate', async () => {
    const { sut, clock, elapsed } = await setup(2, 5);
    await sut.drain(clock.now() + 3000);
    expect(await sut.availableTokens()).toBe(0);
    const next = track(sut.acquireBatch(1), elapsed);
    await clock.advance(3499);
    expect(next.at).toBeUndefined();
    await clock.advance(1);
    expect(next.at).toBe(3500);
    expect(clock.sleeps).toEqual([1000, 1000, 1000, 500]);
  });

  it('acquireBatch takes what is there up to max, else waits for one token', async () => {
    const { sut, clock, elapsed } = await setup(2, 10);
    expect(await sut.acquireBatch(4)).toMatchObject({
      granted: 4,
      settings: { msgsPerSec: 2, burstCapacity: 10 },
    });
    expect((await sut.acquireBatch(100)).granted).toBe(6);
    const next = track(
      sut.acquireBatch(3).then((r) => r.granted),
      elapsed,
    );
    await clock.advance(500);
    expect(next).toEqual({ at: 500, value: 1 });
    expect(clock.sleeps).toEqual([500]);
  });

  it('reports and validates settings', async () => {
    const { sut } = await setup(2, 5);
    expect(await sut.settings()).toEqual({ msgsPerSec: 2, burstCapacity: 5 });
    for (const bad of [
      { msgsPerSec: 0, burstCapacity: 5 },
      { msgsPerSec: -1, burstCapacity: 5 },
      { msgsPerSec: NaN, burstCapacity: 5 },
      { msgsPerSec: 2, burstCapacity: 0 },
      { msgsPerSec: 2, burstCapacity: 2.5 },
    ]) {
      await expect(sut.configure(bad)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    }
    expect(await sut.configure({ msgsPerSec: 0.5, burstCapacity: 2 })).toEqual({
      msgsPerSec: 0.5,
      burstCapacity: 2,
    });
    expect(await sut.availableTokens()).toBe(2); // clamped to the new burst
  });

  it('counted in segments, refuses a burst below the largest allowed message', async () => {
    const clock = new FakeClock(1_764_300_000_000);
    const store = new MemoryTokenBucketStore(clock, EXACT_RATE);
    await store.init({ msgsPerSec: 9, burstCapacity: 9 });
    const sut = new RateLimiterService(store, clock, { unit: 'segment', minBurst: 9 });
    await expect(sut.configure({ msgsPerSec: 9, burstCapacity: 8 })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      details: [{ field: 'burstCapacity', value: 8 }],
    });
    expect(await sut.settings()).toEqual({ msgsPerSec: 9, burstCapacity: 9 });
    expect(await sut.configure({ msgsPerSec: 3, burstCapacity: 9 })).toEqual({
      msgsPerSec: 3,
      burstCapacity: 9,
    });
  });

  it('a grant may be spent until keepMs after its query was sent, however long the wait before', async () => {
    const { sut, clock } = await setup(2, 2);
    expect((await sut.acquireBatch(2)).spendBy).toBe(Infinity);
    const asked = clock.now();
    const next = track(sut.acquireBatch(1, { keepMs: 100 }), () => clock.now());
    await clock.advance(600); // keepMs leaves 0.2 tokens behind: due after 600 ms
    expect(next.value).toMatchObject({ granted: 1, spendBy: asked + 600 + 100 });
    expect(next.at).toBe(asked + 600);
  });
});
