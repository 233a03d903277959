/**
 * When will the n-th SMS from now be sent? A token bucket holding `tokens` now and refilled
 * at `ratePerSec` grants the k-th token at max(0, k - tokens) / rate seconds from now.
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
  /** SMS still to send in this job and every job served before it. */
  remainingThrough: number;
}

export interface JobEstimate {
  queue_position: number | null;
  estimated_complete_at: string | null;
}

export function estimateFor(
  job: QueueSnapshotJob | undefined,
  tokens: number,
  ratePerSec: number,
  now: number,
): JobEstimate {
  if (!job) return { queue_position: null, estimated_complete_at: null };
  const seconds = secondsUntilSent(job.remainingThrough, tokens, ratePerSec);
  return {
    queue_position: job.jobStatus === 'pending' ? job.position : null,
    estimated_complete_at: new Date(now + Math.ceil(seconds * 1000)).toISOString(),
  };
}
