import { abortError, type Clock } from '../../common/clock.js';

interface Timer {
  at: number;
  resolve: () => void;
}

/** A Clock whose time moves only when a test calls advance(); sleeps resolve then. */
export class FakeClock implements Clock {
  /** Every duration passed to sleep(), in call order. */
  readonly sleeps: number[] = [];
  private timers: Timer[] = [];

  constructor(private time = 0) {}

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const timer: Timer = { at: this.time + Math.max(0, ms), resolve };
      this.timers.push(timer);
      signal?.addEventListener(
        'abort',
        () => {
          this.timers = this.timers.filter((t) => t !== timer);
          reject(abortError(signal));
        },
        { once: true },
      );
    });
  }

  /** Number of sleeps not yet over. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward, waking sleepers in due order and letting their code run. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    await flush();
    for (;;) {
      const next = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = next.at;
      next.resolve();
      await flush();
    }
    this.time = target;
    await flush();
  }
}

/** Lets every pending promise continuation run (a macrotask turn, not a timed wait). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
