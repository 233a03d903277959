import { Inject, Injectable, Optional } from '@nestjs/common';
import { CLOCK, type Clock } from '../../common/clock.js';
import * as bucket from '../token-bucket.js';
import type {
  BucketSettings,
  TakeOptions,
  TakeResult,
  TokenBucketStore,
} from './token-bucket.store.js';

/** Injection token of the memory store's refill share (tests of exact timing give it 1). */
export const MEMORY_REFILL_SHARE = 'MEMORY_REFILL_SHARE';

/** A bucket for a single process (tests, one-process deployments). */
@Injectable()
export class MemoryTokenBucketStore implements TokenBucketStore {
  private settings?: BucketSettings;
  private state?: bucket.BucketState;

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional()
    @Inject(MEMORY_REFILL_SHARE)
    private readonly share: number = bucket.REFILL_SHARE,
  ) {}

  async init(defaults: BucketSettings): Promise<void> {
    if (this.settings) return;
    this.settings = { ...defaults };
    this.state = bucket.fullBucket(defaults, this.clock.now());
  }

  async take(n: number, opts: TakeOptions = {}): Promise<TakeResult> {
    const settings = this.current();
    const out = bucket.take(this.state!, this.params(settings), this.clock.now(), n, opts);
    this.state = out.state;
    return {
      granted: out.granted,
      tokens: out.state.tokens,
      waitMs: out.waitMs,
      settings: { ...settings },
    };
  }

  async peek(): Promise<{ tokens: number; settings: BucketSettings }> {
    const settings = this.current();
    return {
      tokens: bucket.refill(this.state!, this.params(settings), this.clock.now()).tokens,
      settings: { ...settings },
    };
  }

  async configure(s: BucketSettings): Promise<void> {
    const old = this.current();
    this.state = bucket.reconfigure(
      this.state!,
      this.params(old),
      this.params(s),
      this.clock.now(),
    );
    this.settings = { ...s };
  }

  async drain(untilMs: number): Promise<void> {
    this.state = bucket.drain(this.state!, this.params(this.current()), this.clock.now(), untilMs);
  }

  private params(s: BucketSettings): bucket.BucketParams {
    return bucket.refillParams(s, this.share);
  }

  private current(): BucketSettings {
    if (!this.settings) throw new Error('rate limit bucket used before init()');
    return this.settings;
  }
}
