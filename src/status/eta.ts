import { finishAfter, isOpen, nextOpening, type SendWindow } from '../scheduling/send-window.js';

/**
 * When will the n-th token from now be granted, i.e. the SMS it pays for be sent? A token
 * bucket holding `tokens` now and refilled at `ratePerSec` grants the k-th token at
 * max(0, k - tokens) / rate seconds from now. Tokens are SMS, or segments with
 * SMS_RATE_UNIT=segment (then `n` counts segments and the rate is segments per second).
 */
export function secondsUntilSent(n: number, tokens: number, ratePerSec: number): number {
  if (n <= 0) return 0;
  return Math.max(0, n - Math.max(0, tokens)) / ratePerSec;
}

export interface QueueSnapshotJob {
  id: number;
  jobStatus: string;
  /** Unfinished jobs served before this one, plus one. */
  position: number;
  /** SMS of this job not yet in a final state. */
  remaining: number;
  /** Tokens (SMS, or segments) still to pay for in this job and every job served before it. */
  remainingThrough: number;
  /** The same up to and including this job's first SMS. */
  throughFirst: number;
  /**
   * A job whose SMS are held (scheduled, or outside its send window): when it joins its lane
   * (ms since the epoch). Its tokens-through are then counted from that time, with no
   * tokens in hand.
   */
  notBefore?: number;
  /** Its daily send window: estimates skip the closed hours. */
  window?: SendWindow;
}

export interface JobEstimate {
  queue_position: number | null;
  estimated_start_at: string | null;
  estimated_complete_at: string | null;
  /** When its send window opens next, while it is closed; null otherwise. */
  next_window_at: string | null;
}

export const NO_ESTIMATE: JobEstimate = {
  queue_position: null,
  estimated_start_at: null,
  estimated_complete_at: null,
  next_window_at: null,
};

const iso = (ms: number) => new Date(ms).toISOString();

export function estimateFor(
  job: QueueSnapshotJob | undefined,
  tokens: number,
  ratePerSec: number,
  now: number,
): JobEstimate {
  if (!job) return NO_ESTIMATE;
  const held = job.notBefore !== undefined;
  // From when its SMS may go: now, or when a held job joins its lane (tokens in hand now
  // are no guide to the bucket then).
  const from = held ? Math.max(now, job.notBefore!) : now;
  const inHand = held ? 0 : tokens;
  const after = (through: number) =>
    Math.ceil(secondsUntilSent(through, inHand, ratePerSec) * 1000);
  const w = job.window;
  // Sending time falls in open hours only: a job that cannot finish before its window
  // closes finishes in a later opening.
  const at = (through: number) =>
    iso(w ? finishAfter(w, from, after(through)) : from + after(through));
  const waiting = job.jobStatus === 'pending' && !held;
  return {
    queue_position: waiting ? job.position : null,
    estimated_start_at: waiting || held ? at(job.throughFirst) : null,
    estimated_complete_at: at(job.remainingThrough),
    next_window_at: w && !isOpen(w, now) ? iso(nextOpening(w, now)) : null,
  };
}
