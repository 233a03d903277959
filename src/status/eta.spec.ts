import { describe, expect, it } from '@jest/globals';
import { estimateFor, secondsUntilSent } from './eta.js';

describe(secondsUntilSent.name, () => {
  it.each([
    [0, 4, 2, 0],
    [4, 4, 2, 0],
    [5, 4, 2, 0.5],
    [60, 4, 2, 28],
    [10, 0, 0.5, 20],
    [10, 2.5, 5, 1.5],
    [3, -1, 1, 3],
  ])('n=%p tokens=%p rate=%p → %p s', (n, tokens, rate, expected) => {
    expect(secondsUntilSent(n, tokens, rate)).toBeCloseTo(expected, 9);
  });
});

describe(estimateFor.name, () => {
  const now = Date.parse('2026-11-28T10:00:00.000Z');

  it('gives a position only while pending and the time the last SMS is due', () => {
    const job = { id: 2, jobStatus: 'pending', position: 2, remaining: 25, remainingThrough: 50 };
    expect(estimateFor(job, 0, 5, now)).toEqual({
      queue_position: 2,
      estimated_complete_at: '2026-11-28T10:00:10.000Z',
    });
    expect(estimateFor({ ...job, jobStatus: 'sending' }, 0, 5, now).queue_position).toBeNull();
  });

  it('is null for a finished job', () => {
    expect(estimateFor(undefined, 4, 2, now)).toEqual({
      queue_position: null,
      estimated_complete_at: null,
    });
  });
});
