import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '../rate-limit/testing/fake-clock.js';
import { WorkerLease } from './worker-lease.js';

const LEASE = 1000;
const MARGIN = 100;

/** A lease whose database answers `continuous` as scripted (true unless told otherwise). */
function lease(answers: boolean[] = []) {
  const clock = new FakeClock(10_000);
  const calls: number[] = [];
  const l = new WorkerLease(
    async () => {
      calls.push(clock.now());
      return { continuous: answers.shift() ?? true };
    },
    clock,
    LEASE,
    MARGIN,
  );
  return { l, clock, calls };
}

describe(WorkerLease.name, () => {
  it('a claim holds for its own lease less the margin, without any renewal', async () => {
    const { l, clock } = lease();
    const s = l.stamp();
    await clock.advance(LEASE - MARGIN - 1);
    expect(l.holds(s)).toBe(true);
    await clock.advance(1);
    expect(l.holds(s)).toBe(false);
  });

  it('renewals that find the lease alive extend every claim made before them', async () => {
    const { l, clock } = lease();
    const s = l.stamp();
    for (let i = 0; i < 10; i++) {
      await clock.advance(LEASE / 2);
      await l.renew();
    }
    expect(l.holds(s)).toBe(true);
    await clock.advance(LEASE - MARGIN);
    expect(l.holds(s)).toBe(false);
  });

  it('measures from when the renewal was issued, not when it answered', async () => {
    const clock = new FakeClock(0);
    let answer!: () => void;
    const l = new WorkerLease(
      () => new Promise((resolve) => (answer = () => resolve({ continuous: true }))),
      clock,
      LEASE,
      MARGIN,
    );
    const s = l.stamp();
    const renewal = l.renew();
    await clock.advance(800); // the database took 800 ms to answer
    answer();
    await renewal;
    await clock.advance(LEASE - MARGIN - 800);
    expect(l.holds(s)).toBe(false);
  });

  it('a renewal that finds the lease run out (a freeze) fences every earlier claim', async () => {
    const { l, clock } = lease([true, false]);
    await l.renew();
    const before = l.stamp();
    await clock.advance(2 * LEASE); // frozen: nothing renewed
    await l.renew(); // the database says the lease had run out
    expect(l.holds(before)).toBe(false);
    const after = l.stamp();
    expect(l.holds(after)).toBe(true);
  });

  it('runs one renewal at a time', async () => {
    const { l, calls } = lease();
    await Promise.all([l.renew(), l.renew(), l.renew()]);
    expect(calls).toHaveLength(1);
  });

  it('stop waits for a renewal in flight and renews no more (the row is deleted next)', async () => {
    const clock = new FakeClock(0);
    let answer!: () => void;
    let calls = 0;
    const l = new WorkerLease(
      () => {
        calls++;
        return new Promise((resolve) => (answer = () => resolve({ continuous: true })));
      },
      clock,
      LEASE,
      MARGIN,
    );
    void l.renew();
    let stopped = false;
    const stopping = l.stop().then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false);
    answer();
    await stopping;
    await l.renew();
    expect(calls).toBe(1);
  });
});
