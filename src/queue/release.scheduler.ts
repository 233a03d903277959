import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { SCHEDULED_CHANNEL } from '../common/channels.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { WakeableSleep } from '../common/wakeable-sleep.js';
import { QueueNotifier, RECONNECTED } from './queue-notifier.js';
import { ReleaseRepository } from './release.repository.js';

/** The longest sleep: a safety net for a lost NOTIFY or a due time changed by hand. */
export const SAFETY_NET_MS = 60_000;
/** After a failure (database away): try again this soon. */
const RETRY_MS = 1_000;
/** A due job another process is releasing (locked, skipped here): look again this soon. */
const BUSY_MS = 100;

/**
 * Releases held jobs at their due time (SCHEDULING.md: a scheduled job at its send_at, a
 * windowed job when its window opens) and holds windowed jobs when their window closes,
 * without polling the table: each process sleeps until the earliest `resume_at` or
 * `window_closes_at` (one probe of each partial index), wakes
 * early when a job due sooner is created (NOTIFY on SCHEDULED_CHANNEL) or its listening
 * connection comes back, and re-reads at least every SAFETY_NET_MS. Several processes may
 * release at once: the release locks its jobs with SKIP LOCKED. Jobs that fell due while no
 * process ran are released at start. Time comes from the injected Clock.
 */
@Injectable()
export class ReleaseScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ReleaseScheduler');
  private readonly stop = new AbortController();
  /** When the current sleep ends: a NOTIFY of an earlier due time cuts it short. */
  private wakeAt = -Infinity;
  /** Set by a NOTIFY while the loop is awake, so the next sleep is skipped. */
  private dirty = false;
  private readonly sleeper: WakeableSleep;
  private loopDone?: Promise<void>;

  constructor(
    private readonly repo: ReleaseRepository,
    private readonly notifier: QueueNotifier,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.sleeper = new WakeableSleep(clock, this.stop.signal);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.notifier.listen(SCHEDULED_CHANNEL, (due) => {
      if (Number(due) < this.wakeAt) this.wake();
    });
    await this.notifier.listen(RECONNECTED, () => this.wake());
    this.loopDone = this.loop();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stop.abort();
    this.wake();
    await this.loopDone;
  }

  private wake(): void {
    this.dirty = true;
    this.sleeper.wake();
  }

  private async loop(): Promise<void> {
    while (!this.stop.signal.aborted) {
      // Anything notified from here on is either seen by the reads below or wakes us again.
      this.dirty = false;
      this.wakeAt = Infinity;
      let wait: number;
      try {
        wait = await this.releaseAndMeasure();
      } catch (err) {
        this.logger.warn(`release failed: ${(err as Error).message}`);
        wait = RETRY_MS;
      }
      this.wakeAt = this.clock.now() + wait;
      if (!this.dirty) await this.sleeper.sleep(wait);
    }
  }

  /** Releases what is due now; returns how long to sleep until the next due time. */
  private async releaseAndMeasure(): Promise<number> {
    const now = new Date(this.clock.now());
    const held = await this.repo.holdClosing(now);
    if (held > 0) this.logger.log(`${held} job(s) held: their send window closed`);
    const released = await this.repo.releaseDue(now);
    if (released > 0) this.logger.log(`${released} held job(s) due`);
    const due = await this.repo.nextDue();
    const ms = due === null ? SAFETY_NET_MS : due.getTime() - this.clock.now();
    if (ms <= 0 && released === 0) return BUSY_MS;
    return Math.min(SAFETY_NET_MS, Math.max(0, ms));
  }
}
