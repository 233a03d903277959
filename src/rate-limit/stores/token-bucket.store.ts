/** Where the bucket lives: process memory (one process) or PostgreSQL (the whole cluster). */
export interface BucketSettings {
  msgsPerSec: number;
  burstCapacity: number;
}

export interface TakeResult {
  granted: number;
  /** Tokens left after the grant. */
  tokens: number;
  /** 0 when something was granted; else ms until the requested tokens are due. */
  waitMs: number;
  settings: BucketSettings;
}

export interface TakeOptions {
  /** Grant min(n, what is there) instead of all-or-nothing. */
  partial?: boolean;
  /** With partial: leave this many milliseconds of refill in the bucket (token-bucket.ts reserveTokens). */
  keepMs?: number;
}

export interface TokenBucketStore {
  /** Creates the bucket, full, if missing; existing persisted settings win over `defaults`. */
  init(defaults: BucketSettings): Promise<void>;
  /**
   * Atomically refills and debits. All-or-nothing by default (RangeError if n exceeds the
   * burst); `partial` grants min(n, floor(tokens)), i.e. a batch.
   */
  take(n: number, opts?: TakeOptions): Promise<TakeResult>;
  peek(): Promise<{ tokens: number; settings: BucketSettings }>;
  /** Persists new settings; the current token count is clamped to the new burst. */
  configure(s: BucketSettings): Promise<void>;
  /** Empties the bucket so no token is granted before `untilMs` (epoch ms, caller's clock). */
  drain(untilMs: number): Promise<void>;
}
