export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * `count` distinct Hong Kong mobile numbers in E.164, +8529xxxxxxx, starting at `start`
 * (0 <= start, start + count <= 10 000 000).
 */
export function hkNumbers(start: number, count: number): string[] {
  if (start < 0 || start + count > 10_000_000) throw new RangeError(`${start}+${count}`);
  return Array.from({ length: count }, (_, k) => `+8529${String(start + k).padStart(7, '0')}`);
}

/** performance-based wall clock in ms, on the same time base as FakeGateway arrivals. */
export const nowMs = () => performance.timeOrigin + performance.now();

export const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
