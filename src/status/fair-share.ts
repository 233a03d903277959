/** What one user has waiting in one lane: tokens still to pay for, and the user's weight. */
export interface LaneLoad {
  userId: number;
  weight: number;
  tokens: number;
}

/**
 * Tokens the fair order pays for, in one lane, until `userId` has had `own` of its own paid
 * (FAIRNESS.md: the lane's rate is shared by weight between users with something waiting,
 * work-conserving). Water-filling: while the user's `own` tokens go out, every other user u
 * gets weight_u / weight of as many, or all it has waiting if that is less.
 */
export function fairTokensUntil(
  lane: readonly LaneLoad[],
  userId: number,
  weight: number,
  own: number,
): number {
  if (own <= 0) return 0;
  const level = own / weight;
  let total = own;
  for (const u of lane) {
    if (u.userId !== userId) total += Math.min(u.tokens, level * u.weight);
  }
  return total;
}

/** The fraction of the rate a user's waiting SMS get now (0 when another lane goes first). */
export function shareNow(lane: readonly LaneLoad[], userId: number): number {
  const active = lane.filter((u) => u.tokens > 0);
  const mine = active.find((u) => u.userId === userId);
  if (!mine) return 0;
  return mine.weight / active.reduce((sum, u) => sum + u.weight, 0);
}

/** A user's waiting jobs in one lane, for positions: how many, and their tokens. */
export interface LaneJobs extends LaneLoad {
  /** Jobs not started yet: they follow the started ones, oldest first. */
  pendingJobs: number;
  /** Tokens of those jobs; the rest of `tokens` belongs to started jobs. */
  pendingTokens: number;
}

/**
 * How many of the other users' waiting jobs the fair order starts before a job of `userId`
 * that has `ownAhead` of the user's own tokens before it (FAIRNESS.md, queue_position). A
 * job starts when its user's level (tokens before it / weight) is reached; for another user
 * u, job i of its waiting ones starts at (started tokens + i × mean waiting job) / weight_u,
 * which is exact for equal jobs (single SMS) and between the ends otherwise. At equal
 * levels the user with the lower id goes first. O(users): reads the per-user totals only.
 */
export function jobsStartingBefore(
  lane: readonly LaneJobs[],
  userId: number,
  weight: number,
  ownAhead: number,
): number {
  let count = 0;
  for (const u of lane) {
    if (u.userId === userId || u.pendingJobs <= 0) continue;
    // Job i of u starts first when i × pendingTokens × weight < x (≤ x if u wins ties);
    // integers throughout, so the comparison is exact.
    const started = u.tokens - u.pendingTokens;
    const x = (ownAhead * u.weight - started * weight) * u.pendingJobs;
    const step = u.pendingTokens * weight;
    const winsTies = u.userId < userId;
    if (x < 0 || (x === 0 && !winsTies)) continue;
    const before =
      step <= 0 ? u.pendingJobs : winsTies ? Math.floor(x / step) + 1 : Math.ceil(x / step);
    count += Math.min(u.pendingJobs, before);
  }
  return count;
}
