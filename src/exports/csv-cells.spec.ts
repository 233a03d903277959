import { describe, expect, it } from '@jest/globals';
import { cell, safePhone, safeText } from './csv-cells.js';

describe('csv cells', () => {
  it('prefixes text that a spreadsheet would run as a formula', () => {
    for (const v of ['=1+1', '+SUM(A1)', '-2+3', '@cmd', '\t=x', '\r=x']) {
      expect(safeText(v)).toBe(`'${v}`);
    }
    expect(safeText('Dear Chan')).toBe('Dear Chan');
    expect(safeText('')).toBe('');
  });

  it('leaves E.164 numbers in a phone column alone, guards anything else there', () => {
    expect(safePhone('+85291234567')).toBe('+85291234567');
    expect(safePhone('+1=cmd')).toBe("'+1=cmd");
  });

  it('writes dates in ISO 8601, null as empty, numbers as they are, text guarded', () => {
    expect(cell(new Date('2026-11-28T10:00:00Z'))).toBe('2026-11-28T10:00:00.000Z');
    expect(cell(null)).toBe('');
    expect(cell(-3)).toBe(-3);
    expect(cell('=HYPERLINK("x")')).toBe('\'=HYPERLINK("x")');
  });
});
