import { describe, expect, it } from '@jest/globals';
import { fairTokensUntil, jobsStartingBefore, shareNow } from './fair-share.js';

const lane = [
  { userId: 1, weight: 1, tokens: 100_000 },
  { userId: 2, weight: 3, tokens: 30 },
  { userId: 3, weight: 1, tokens: 5 },
];

describe(fairTokensUntil.name, () => {
  it('alone in the lane, a user has the whole rate', () => {
    expect(fairTokensUntil([{ userId: 9, weight: 4, tokens: 50 }], 9, 4, 50)).toBe(50);
  });

  it('shares by weight while both wait: 30 of weight 3 beside 10 of weight 1', () => {
    expect(fairTokensUntil(lane.slice(0, 2), 2, 3, 30)).toBe(40);
  });

  it('a user with less waiting than its share takes only what it has (work-conserving)', () => {
    // while user 2 sends 30 (level 10), user 1 sends 10 and user 3 its 5
    expect(fairTokensUntil(lane, 2, 3, 30)).toBe(45);
  });

  it("a small user's single SMS beside a 100 000 bulk goes after about one of the bulk's", () => {
    expect(fairTokensUntil(lane, 3, 1, 1)).toBe(1 + 1 + 3);
  });

  it('nothing of its own to wait for: nothing ahead', () => {
    expect(fairTokensUntil(lane, 1, 1, 0)).toBe(0);
  });
});

describe(shareNow.name, () => {
  it('is the weight over the weights of users with something waiting', () => {
    expect(shareNow(lane, 2)).toBeCloseTo(3 / 5);
    expect(shareNow([...lane, { userId: 4, weight: 5, tokens: 0 }], 1)).toBeCloseTo(1 / 5);
  });

  it('is 0 for a user with nothing waiting in the lane', () => {
    expect(shareNow(lane, 7)).toBe(0);
  });
});

describe(jobsStartingBefore.name, () => {
  // User 1: 1 000 single SMS waiting; user 2 (weight 3): 30 singles; user 5: a started bulk
  // with 100 left and 2 jobs of 10 waiting behind it.
  const jobs = [
    { userId: 1, weight: 1, tokens: 1000, pendingJobs: 1000, pendingTokens: 1000 },
    { userId: 2, weight: 3, tokens: 30, pendingJobs: 30, pendingTokens: 30 },
    { userId: 5, weight: 1, tokens: 120, pendingJobs: 2, pendingTokens: 20 },
  ];

  it('a newcomer’s first job: only jobs of lower-id users at the same level (zero) go first', () => {
    // User 4 has nothing ahead: users 1 and 2 start a job at level 0 and win the tie; user
    // 5 is still sending its bulk.
    expect(jobsStartingBefore(jobs, 4, 1, 0)).toBe(2);
    expect(jobsStartingBefore(jobs, 0, 1, 0)).toBe(0);
  });

  it('counts each user’s jobs that start below the level, by weight', () => {
    // User 3 (weight 1) with 10 of its own ahead: level 10. User 1 starts its jobs 0..10
    // (job 10 at level 10 wins the tie), user 2 (weight 3) jobs 0..30 capped at its 30,
    // user 5 none (its waiting jobs start at level 100 and 110).
    expect(jobsStartingBefore(jobs, 3, 1, 10)).toBe(11 + 30);
    // At level 105 user 5's first waiting job (level 100) goes first, not its second (110).
    expect(jobsStartingBefore(jobs, 3, 1, 105)).toBe(106 + 30 + 1);
  });

  it('a heavier user reaches a level with fewer of its own tokens', () => {
    // User 6 (weight 4) with 8 ahead: level 2. User 1 starts jobs at levels 0, 1 and 2 (the
    // tie won), user 2 (weight 3) jobs 0..6 at levels i / 3.
    expect(jobsStartingBefore(jobs, 6, 4, 8)).toBe(3 + 7);
  });

  it('never counts the user’s own jobs, nor more jobs than a user has waiting', () => {
    expect(jobsStartingBefore(jobs, 1, 1, 5000)).toBe(30 + 2);
  });
});
