import { afterEach, describe, expect, it } from '@jest/globals';
import { SCHEDULED_CHANNEL } from '../common/channels.js';
import { FakeClock, flush } from '../rate-limit/testing/fake-clock.js';
import type { QueueNotifier } from './queue-notifier.js';
import type { ReleaseRepository } from './release.repository.js';
import { ReleaseScheduler, SAFETY_NET_MS } from './release.scheduler.js';

/** Jobs due at given times (ms on the fake clock); a release takes those due by `now`. */
class FakeJobs {
  readonly due: number[] = [];
  /** (clock time of the release, jobs released) for every release that released some. */
  readonly released: [number, number][] = [];
  reads = 0;

  releaseDue = async (now: Date) => {
    const ready = this.due.filter((d) => d <= now.getTime());
    for (const d of ready) this.due.splice(this.due.indexOf(d), 1);
    if (ready.length > 0) this.released.push([now.getTime(), ready.length]);
    return ready.length;
  };

  /** Windowed jobs are not this test's concern: none ever closes. */
  holdClosing = async () => 0;

  nextDue = async () => {
    this.reads++;
    return this.due.length === 0 ? null : new Date(Math.min(...this.due));
  };
}

class FakeNotifier {
  readonly handlers = new Map<unknown, (payload: string) => void>();
  listen = async (channel: unknown, handler: (payload: string) => void) => {
    this.handlers.set(channel, handler);
  };
  notify(channel: unknown, payload: string) {
    this.handlers.get(channel)?.(payload);
  }
}

describe(ReleaseScheduler.name, () => {
  const START = 1_000_000;
  let sut: ReleaseScheduler | undefined;

  async function start(due: number[]) {
    const clock = new FakeClock(START);
    const jobs = new FakeJobs();
    jobs.due.push(...due);
    const notifier = new FakeNotifier();
    sut = new ReleaseScheduler(
      jobs as unknown as ReleaseRepository,
      notifier as unknown as QueueNotifier,
      clock,
    );
    await sut.onApplicationBootstrap();
    await flush();
    return { clock, jobs, notifier };
  }

  afterEach(async () => {
    await sut?.beforeApplicationShutdown();
    sut = undefined;
  });

  it('releases at start what fell due while no process ran', async () => {
    const { jobs } = await start([START - 5000, START - 1]);
    expect(jobs.released).toEqual([[START, 2]]);
  });

  it('sleeps until the next due time, not polling: releases exactly then', async () => {
    const { clock, jobs } = await start([START + 5000]);
    const reads = jobs.reads;
    await clock.advance(4999);
    expect(jobs.released).toEqual([]);
    expect(jobs.reads).toBe(reads); // one sleep, no reads meanwhile
    await clock.advance(1);
    expect(jobs.released).toEqual([[START + 5000, 1]]);
  });

  it('wakes early for a NOTIFY of a job due sooner, not for one due later', async () => {
    const { clock, jobs, notifier } = await start([START + 30_000]);
    const reads = jobs.reads;
    jobs.due.push(START + 50_000);
    notifier.notify(SCHEDULED_CHANNEL, String(START + 50_000));
    await flush();
    expect(jobs.reads).toBe(reads);
    jobs.due.push(START + 2000);
    notifier.notify(SCHEDULED_CHANNEL, String(START + 2000));
    await flush();
    expect(jobs.reads).toBe(reads + 1);
    await clock.advance(2000);
    expect(jobs.released).toEqual([[START + 2000, 1]]);
    await clock.advance(28_000);
    expect(jobs.released).toEqual([
      [START + 2000, 1],
      [START + 30_000, 1],
    ]);
  });

  it('re-reads at least every minute as a safety net (a lost NOTIFY, nothing due)', async () => {
    const { clock, jobs } = await start([]);
    const reads = jobs.reads;
    // A job whose NOTIFY was lost.
    jobs.due.push(START + 10_000);
    await clock.advance(SAFETY_NET_MS - 1);
    expect(jobs.reads).toBe(reads);
    await clock.advance(1);
    expect(jobs.reads).toBe(reads + 1);
    expect(jobs.released).toEqual([[START + SAFETY_NET_MS, 1]]);
  });

  it('sleeps at most a minute even when the next job is months ahead', async () => {
    const { clock, jobs } = await start([START + 90 * 86_400_000]);
    const reads = jobs.reads;
    await clock.advance(SAFETY_NET_MS);
    expect(jobs.reads).toBe(reads + 1);
    expect(jobs.released).toEqual([]);
  });
});
