import { describe, expect, it } from '@jest/globals';
import { parseWindowSpec } from '../scheduling/send-window.js';
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

  it('gives a position and a start only while pending, and the time the last SMS is due', () => {
    const job = {
      id: 2,
      jobStatus: 'pending',
      position: 2,
      remaining: 25,
      remainingThrough: 50,
      throughFirst: 26,
    };
    expect(estimateFor(job, 0, 5, now)).toEqual({
      queue_position: 2,
      estimated_start_at: '2026-11-28T10:00:05.200Z',
      estimated_complete_at: '2026-11-28T10:00:10.000Z',
      next_window_at: null,
    });
    const sending = estimateFor({ ...job, jobStatus: 'sending' }, 0, 5, now);
    expect(sending.queue_position).toBeNull();
    expect(sending.estimated_start_at).toBeNull();
  });

  it('counted in segments (SMS_RATE_UNIT=segment): segments through the job over segments/s', () => {
    // 10 SMS of 3 segments left, 9 segments/s, 3 tokens in hand: (30 - 3) / 9 = 3 s.
    const job = {
      id: 1,
      jobStatus: 'sending',
      position: 1,
      remaining: 10,
      remainingThrough: 30,
      throughFirst: 3,
    };
    expect(estimateFor(job, 3, 9, now).estimated_complete_at).toBe('2026-11-28T10:00:03.000Z');
  });

  it('a scheduled job: no position; starts at send_at, completes after its own SMS from then', () => {
    const sendAt = Date.parse('2026-11-28T12:00:00.000Z');
    // 10 own SMS and as many of another user's at the same weight: 20 tokens at 2/s = 10 s;
    // tokens in hand now are not counted (they are no guide to the bucket at send_at).
    const job = {
      id: 3,
      jobStatus: 'scheduled',
      position: 0,
      remaining: 10,
      remainingThrough: 20,
      throughFirst: 0,
      notBefore: sendAt,
    };
    expect(estimateFor(job, 4, 2, now)).toEqual({
      queue_position: null,
      estimated_start_at: '2026-11-28T12:00:00.000Z',
      estimated_complete_at: '2026-11-28T12:00:10.000Z',
      next_window_at: null,
    });
    // Due already (not yet released): from now, never before it.
    const late = estimateFor({ ...job, notBefore: now - 1000 }, 4, 2, now);
    expect(late.estimated_start_at).toBe('2026-11-28T10:00:00.000Z');
  });

  it('is null for a finished job', () => {
    expect(estimateFor(undefined, 4, 2, now)).toEqual({
      queue_position: null,
      estimated_start_at: null,
      estimated_complete_at: null,
      next_window_at: null,
    });
  });

  it('skips the closed hours of a send window, across a daylight-saving change', () => {
    // London, 09:00-09:10; clocks go forward on 29 March 2026 (09:00 BST is 08:00 UTC).
    const window = parseWindowSpec('09:00-09:10 Europe/London');
    // 10 SMS at one a minute, the first one minute out; nothing in hand.
    const job = {
      id: 4,
      jobStatus: 'pending',
      position: 1,
      remaining: 10,
      remainingThrough: 10,
      throughFirst: 1,
      window,
    };
    const open = Date.parse('2026-03-28T09:05:00.000Z');
    // 5 minutes fit before 09:10 GMT, the other 5 the next morning from 09:00 BST.
    expect(estimateFor(job, 0, 1 / 60, open)).toEqual({
      queue_position: 1,
      estimated_start_at: '2026-03-28T09:06:00.000Z',
      estimated_complete_at: '2026-03-29T08:05:00.000Z',
      next_window_at: null,
    });
    const closed = Date.parse('2026-03-28T12:00:00.000Z');
    expect(estimateFor(job, 0, 1 / 60, closed)).toEqual({
      queue_position: 1,
      estimated_start_at: '2026-03-29T08:01:00.000Z',
      estimated_complete_at: '2026-03-29T08:10:00.000Z',
      next_window_at: '2026-03-29T08:00:00.000Z',
    });
  });
});
