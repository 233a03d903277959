import type { Clock } from '../common/clock.js';

/** When a claim was made, as the lease sees it. */
export interface LeaseStamp {
  /** Local time the claim statement was issued: its rows' own leases end no earlier than this + lease. */
  at: number;
  epoch: number;
}

/** The database side: renews the worker lease, saying whether it was still alive. */
export type RenewLease = () => Promise<{ continuous: boolean }>;

/**
 * The one lease that keeps everything a worker holds: a row in `workers` renewed every
 * quarter lease, which holds off lease recovery from every claim of the worker (QUEUE.md: a
 * live process keeps its work, however slow its gateway or event loop).
 *
 * It is also the fence. Times are measured here, from when a statement was issued (the
 * database wrote its expiry later, so later), never compared with the database clock. A
 * claim is certainly still ours until max(its claim, the last renewal) + lease, provided no
 * renewal found the lease already run out since the claim: such a renewal starts a new
 * epoch, and whatever was claimed before it may have been taken over. A process that was
 * frozen (SIGSTOP) or cut off therefore learns on waking, before any request, that its
 * claims are no longer safe, and sends none of them.
 */
export class WorkerLease {
  private epoch = 0;
  /** Issue time of the last renewal that found the lease alive (or started this epoch). */
  private renewedAt = -Infinity;
  private renewing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly renewInDb: RenewLease,
    private readonly clock: Clock,
    private readonly leaseMs: number,
    /** Time a request may need from the check to the gateway. */
    private readonly marginMs = Math.min(leaseMs / 4, 500),
  ) {}

  /** Take right before issuing a claim. */
  stamp(): LeaseStamp {
    return { at: this.clock.now(), epoch: this.epoch };
  }

  /** True while a claim stamped `s` is certainly ours, with time left to make a request. */
  holds(s: LeaseStamp): boolean {
    return (
      s.epoch === this.epoch &&
      this.clock.now() < Math.max(s.at, this.renewedAt) + this.leaseMs - this.marginMs
    );
  }

  /** Renews now (one renewal at a time: a caller during one waits for it). Throws if the database does. */
  renew(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.renewing ??= this.renewOnce().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  /** Renews every quarter lease until stop(); failures are reported, and holds() runs out. */
  start(onError: (err: Error) => void): void {
    this.timer = setInterval(
      () => void this.renew().catch(onError),
      Math.max(100, Math.floor(this.leaseMs / 4)),
    );
    this.timer.unref();
  }

  /**
   * Ends renewing, once a renewal in flight has landed: the caller deletes the row next, and
   * a renewal landing after that delete would write it back (a stopped worker still counted).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.renewing?.catch(() => undefined);
  }

  private async renewOnce(): Promise<void> {
    const issuedAt = this.clock.now();
    const { continuous } = await this.renewInDb();
    if (!continuous) this.epoch++;
    this.renewedAt = issuedAt;
  }
}
