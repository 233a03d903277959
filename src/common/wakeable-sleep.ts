import type { Clock } from './clock.js';

/**
 * A sleep on the Clock that wake() cuts short, as does `stop` (shutdown): what an idle loop
 * waits in until its next due time, a NOTIFY or the end.
 */
export class WakeableSleep {
  private wakeUp?: () => void;

  constructor(
    private readonly clock: Clock,
    private readonly stop: AbortSignal,
  ) {}

  /** Ends the current sleep, if any. */
  wake(): void {
    this.wakeUp?.();
  }

  /** Sleeps `ms`, cut short by wake() or `stop`. */
  async sleep(ms: number): Promise<void> {
    if (ms <= 0) return;
    const timer = new AbortController();
    const woken = new Promise<void>((resolve) => (this.wakeUp = resolve));
    const slept = this.clock
      .sleep(ms, AbortSignal.any([this.stop, timer.signal]))
      .catch(() => undefined);
    await Promise.race([woken, slept]);
    timer.abort();
    this.wakeUp = undefined;
  }
}
