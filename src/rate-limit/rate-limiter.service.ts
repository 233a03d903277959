import { Inject, Injectable, Optional } from '@nestjs/common';
import { validationError } from '../common/app-error.js';
import { abortError, CLOCK, type Clock } from '../common/clock.js';
import {
  MAX_SLEEP_MS,
  PER_REQUEST,
  RATE_LIMIT_STORE,
  RATE_UNIT,
  type RateUnitRule,
} from './rate-limit.constants.js';
import type {
  BucketSettings,
  TakeOptions,
  TakeResult,
  TokenBucketStore,
} from './stores/token-bucket.store.js';

export interface AcquireOptions {
  signal?: AbortSignal;
}

/** A take that granted tokens, and until when they may be spent. */
export interface Grant extends TakeResult {
  /**
   * With `keepMs`: the time (this clock) the granting query was sent, plus keepMs. Requests
   * started by then reach the gateway at most keepMs after their tokens were taken (the
   * delay the reserve of keepMs of refill covers); a token still unspent then must be given
   * up, not spent. Without keepMs: Infinity.
   */
  spendBy: number;
}

/**
 * The SMS rate limit: take a token before every gateway request. Waiters sleep until their
 * tokens are due (computed, never polled) and are served one at a time in FIFO order, so a
 * process sends one bucket query per turn instead of every waiter hammering the row.
 */
@Injectable()
export class RateLimiterService {
  /** Settles when the last queued acquire has finished its turn. Never rejects. */
  private tail: Promise<void> = Promise.resolve();

  constructor(
    @Inject(RATE_LIMIT_STORE) private readonly store: TokenBucketStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() @Inject(RATE_UNIT) readonly rule: RateUnitRule = PER_REQUEST,
  ) {}

  /**
   * Waits for at least one token, then takes up to `max` at once: one query for a batch.
   * The answer also carries the bucket's settings and the tokens left, for sizing the next
   * batch. `keepMs` leaves that much refill in the bucket (see reserveTokens), and sets how
   * long the tokens may be held (Grant.spendBy).
   */
  acquireBatch(max: number, opts: AcquireOptions & { keepMs?: number } = {}): Promise<Grant> {
    return this.inTurn(opts.signal, () =>
      this.waitAndTake(max, { partial: true, keepMs: opts.keepMs }, opts.signal),
    );
  }

  async availableTokens(): Promise<number> {
    return (await this.store.peek()).tokens;
  }

  async settings(): Promise<BucketSettings> {
    return (await this.store.peek()).settings;
  }

  async configure(s: BucketSettings): Promise<BucketSettings> {
    const details = [];
    if (!Number.isFinite(s.msgsPerSec) || s.msgsPerSec <= 0) {
      details.push({ field: 'msgsPerSec', value: s.msgsPerSec, message: 'must be a number > 0' });
    }
    if (!Number.isInteger(s.burstCapacity) || s.burstCapacity <= 0) {
      details.push({
        field: 'burstCapacity',
        value: s.burstCapacity,
        message: 'must be an integer > 0',
      });
    } else if (s.burstCapacity < this.rule.minBurst) {
      // Counted in segments, the largest allowed SMS must fit in the bucket.
      details.push({
        field: 'burstCapacity',
        value: s.burstCapacity,
        message: `must be at least SMS_MAX_SEGMENTS (${this.rule.minBurst}) when SMS_RATE_UNIT=segment`,
      });
    }
    if (details.length) throw validationError('Invalid rate limit settings', details);
    await this.store.configure({ msgsPerSec: s.msgsPerSec, burstCapacity: s.burstCapacity });
    return this.settings();
  }

  /** Current tokens and settings in one read (for estimates and status). */
  snapshot(): Promise<{ tokens: number; settings: BucketSettings }> {
    return this.store.peek();
  }

  /** Holds every process off until `untilMs` (the gateway answered 429). */
  drain(untilMs: number): Promise<void> {
    return this.store.drain(untilMs);
  }

  private async waitAndTake(n: number, take: TakeOptions, signal?: AbortSignal): Promise<Grant> {
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      const askedAt = this.clock.now();
      const r = await this.store.take(n, take);
      if (r.granted > 0) {
        return { ...r, spendBy: take.keepMs === undefined ? Infinity : askedAt + take.keepMs };
      }
      // Capped so that new settings (or a drain) made elsewhere are seen within MAX_SLEEP_MS.
      await this.clock.sleep(Math.min(r.waitMs, MAX_SLEEP_MS), signal);
    }
  }

  /**
   * Runs `task` after every earlier queued task. An abort while queued rejects at once; the
   * queue still waits for the earlier tasks before letting later ones run.
   */
  private async inTurn<T>(signal: AbortSignal | undefined, task: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let finish!: () => void;
    const mine = new Promise<void>((resolve) => (finish = resolve));
    this.tail = previous.then(() => mine);
    try {
      await untilOrAbort(previous, signal);
      return await task();
    } finally {
      finish();
    }
  }
}

function untilOrAbort(p: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
