import { describe, expect, it } from '@jest/globals';
import { NumberSet } from './number-set.js';

describe('NumberSet', () => {
  it('holds what was added, once, across growth, for E.164-sized numbers', () => {
    const set = new NumberSet();
    const base = 85_291_000_000;
    let added = 0;
    let found = 0;
    for (let k = 0; k < 200_000; k++) if (set.add(base + k * 7)) added++;
    for (let k = 0; k < 200_000; k++) if (set.has(base + k * 7)) found++;
    expect([added, found, set.size]).toEqual([200_000, 200_000, 200_000]);
    expect(set.has(base + 1)).toBe(false);
    expect(set.add(base + 7)).toBe(false);
    expect(set.add(999_999_999_999_999)).toBe(true);
    expect(set.has(999_999_999_999_999)).toBe(true);
    expect(set.has(999_999_999_999_998)).toBe(false);
    expect(set.has(0)).toBe(false);
    expect(set.add(0)).toBe(true);
    expect(set.has(0)).toBe(true);
    expect(set.size).toBe(200_002);
  });
});
