import { describe, expect, it } from '@jest/globals';
import {
  finishAfter,
  isOpen,
  nextClosing,
  nextOpening,
  parseWindowSpec,
  windowProblem,
} from './send-window.js';

const t = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const MIN = 60_000;

describe('send windows (SCHEDULING.md, quiet hours)', () => {
  const hk = parseWindowSpec('09:00-21:00 Asia/Hong_Kong');
  const night = parseWindowSpec('21:00-08:00 Asia/Hong_Kong');

  it('parses SMS_SEND_WINDOW and refuses bad ones', () => {
    expect(hk).toEqual({ start: 540, end: 1260, timeZone: 'Asia/Hong_Kong' });
    expect(() => parseWindowSpec('9-21 Asia/Hong_Kong')).toThrow(/HH:MM-HH:MM/);
    expect(() => parseWindowSpec('09:00-21:00 Mars/Olympus')).toThrow(/IANA/);
    expect(windowProblem('10:00', '10:00', 'UTC')).toMatch(/differ/);
    expect(windowProblem('24:00', '10:00', 'UTC')).toMatch(/HH:MM/);
    expect(windowProblem('21:00', '08:00', 'Europe/London')).toBeNull();
  });

  it('is open from start to end, local time, and wraps midnight when start is after end', () => {
    expect(isOpen(hk, t('2026-12-01T00:59:59Z'))).toBe(false); // 08:59:59 HKT
    expect(isOpen(hk, t('2026-12-01T01:00:00Z'))).toBe(true); // 09:00
    expect(isOpen(hk, t('2026-12-01T12:59:59Z'))).toBe(true); // 20:59:59
    expect(isOpen(hk, t('2026-12-01T13:00:00Z'))).toBe(false); // 21:00
    expect(isOpen(night, t('2026-12-01T13:00:00Z'))).toBe(true); // 21:00
    expect(isOpen(night, t('2026-12-01T23:59:00Z'))).toBe(true); // 07:59
    expect(isOpen(night, t('2026-12-02T00:00:00Z'))).toBe(false); // 08:00
  });

  it('finds the next opening and closing, today or tomorrow', () => {
    expect(iso(nextOpening(hk, t('2026-12-01T14:00:00Z')))).toBe('2026-12-02T01:00:00.000Z');
    expect(iso(nextOpening(hk, t('2026-11-30T23:00:00Z')))).toBe('2026-12-01T01:00:00.000Z');
    expect(iso(nextOpening(hk, t('2026-12-01T05:00:00Z')))).toBe('2026-12-01T05:00:00.000Z');
    expect(iso(nextClosing(hk, t('2026-12-01T05:00:00Z')))).toBe('2026-12-01T13:00:00.000Z');
    expect(iso(nextOpening(night, t('2026-12-01T05:00:00Z')))).toBe('2026-12-01T13:00:00.000Z');
    expect(iso(nextClosing(night, t('2026-12-01T14:00:00Z')))).toBe('2026-12-02T00:00:00.000Z');
    expect(iso(nextClosing(night, t('2026-12-01T23:00:00Z')))).toBe('2026-12-02T00:00:00.000Z');
  });

  it('follows daylight-saving changes: the same local hour is another UTC hour', () => {
    const london = parseWindowSpec('09:00-17:00 Europe/London');
    // Clocks go forward on 29 March 2026: 09:00 is 09:00 UTC on the 28th, 08:00 UTC on the 29th.
    expect(iso(nextOpening(london, t('2026-03-27T18:00:00Z')))).toBe('2026-03-28T09:00:00.000Z');
    expect(iso(nextOpening(london, t('2026-03-28T18:00:00Z')))).toBe('2026-03-29T08:00:00.000Z');
    const ny = parseWindowSpec('08:00-20:00 America/New_York');
    // Clocks go back on 1 November 2026: 08:00 EDT is 12:00 UTC, 08:00 EST 13:00 UTC.
    expect(iso(nextOpening(ny, t('2026-10-31T01:00:00Z')))).toBe('2026-10-31T12:00:00.000Z');
    expect(iso(nextOpening(ny, t('2026-11-01T01:00:00Z')))).toBe('2026-11-01T13:00:00.000Z');
    expect(iso(nextClosing(ny, t('2026-11-01T13:00:00Z')))).toBe('2026-11-02T01:00:00.000Z');
  });

  it('an opening the clocks skip opens where they land', () => {
    // 01:30 does not exist in London on 29 March 2026 (01:00 GMT becomes 02:00 BST, 01:00 UTC).
    const w = parseWindowSpec('01:30-03:00 Europe/London');
    const open = nextOpening(w, t('2026-03-29T00:10:00Z'));
    expect(iso(open)).toBe('2026-03-29T01:00:00.000Z');
    expect(isOpen(w, open)).toBe(true);
    expect(isOpen(w, open - 1)).toBe(false);
  });

  it('finishes work that does not fit in later openings (estimates include closed hours)', () => {
    const short = parseWindowSpec('09:00-10:00 Asia/Hong_Kong');
    // From 09:30 with 45 min to do: 30 today, 15 tomorrow from 09:00.
    expect(iso(finishAfter(short, t('2026-12-01T01:30:00Z'), 45 * MIN))).toBe(
      '2026-12-02T01:15:00.000Z',
    );
    // Inside one opening it is just the time needed; from a closed hour it starts at the opening.
    expect(iso(finishAfter(short, t('2026-12-01T01:10:00Z'), 20 * MIN))).toBe(
      '2026-12-01T01:30:00.000Z',
    );
    expect(iso(finishAfter(short, t('2026-12-01T03:00:00Z'), 5 * MIN))).toBe(
      '2026-12-02T01:05:00.000Z',
    );
    // Across the spring-forward change: 5 min on the 28th (GMT), 5 on the 29th (BST).
    const london = parseWindowSpec('09:00-09:10 Europe/London');
    expect(iso(finishAfter(london, t('2026-03-28T09:05:00Z'), 10 * MIN))).toBe(
      '2026-03-29T08:05:00.000Z',
    );
  });
});
