import { describe, expect, it } from '@jest/globals';
import { retryDelayMs } from './backoff.js';

describe(retryDelayMs.name, () => {
  it('doubles per attempt between half and all of the exponential step', () => {
    expect(retryDelayMs(1, 1000, 60000, 0, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1000, 60000, 0, () => 1)).toBe(1000);
    expect(retryDelayMs(2, 1000, 60000, 0, () => 1)).toBe(2000);
    expect(retryDelayMs(3, 1000, 60000, 0, () => 0.5)).toBe(3000);
  });

  it('never exceeds the cap', () => {
    expect(retryDelayMs(30, 1000, 60000, 0, () => 1)).toBe(60000);
  });

  it("waits at least the gateway's Retry-After", () => {
    expect(retryDelayMs(1, 1000, 60000, 5000, () => 1)).toBe(5000);
    expect(retryDelayMs(4, 1000, 60000, 100, () => 1)).toBe(8000);
  });
});
