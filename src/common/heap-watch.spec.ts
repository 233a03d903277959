import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { watchHeap } from './heap-watch.js';

const MB = 1024 * 1024;

/** A watch over a heap whose use the test sets (`heap.used`), with its collections counted. */
function watched(usedMb: number) {
  const heap = { used: usedMb * MB };
  const collect = jest.fn<() => void>();
  const stop = watchHeap({
    everyMs: 100,
    floorBytes: 96 * MB,
    growth: 2,
    readUsed: () => heap.used,
    collect,
  });
  return { heap, collect, stop };
}

describe('watchHeap', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('collects above the floor once the heap has doubled since the last collection', () => {
    const { heap, collect, stop } = watched(50);

    jest.advanceTimersByTime(300);
    expect(collect).not.toHaveBeenCalled(); // below the floor

    heap.used = 120 * MB;
    jest.advanceTimersByTime(100);
    expect(collect).toHaveBeenCalledTimes(1);
    // One glance later: 70 MB survived, so the next one comes above 140 MB.
    heap.used = 70 * MB;
    jest.advanceTimersByTime(100);
    heap.used = 139 * MB;
    jest.advanceTimersByTime(500);
    expect(collect).toHaveBeenCalledTimes(1);
    heap.used = 141 * MB;
    jest.advanceTimersByTime(100);
    expect(collect).toHaveBeenCalledTimes(2);

    stop();
    heap.used = 500 * MB;
    jest.advanceTimersByTime(1000);
    expect(collect).toHaveBeenCalledTimes(2);
  });

  it('does not keep collecting when much of the heap stays live', () => {
    const { heap, collect, stop } = watched(300);
    jest.advanceTimersByTime(100);
    expect(collect).toHaveBeenCalledTimes(1);
    heap.used = 280 * MB; // live after it
    jest.advanceTimersByTime(100);
    heap.used = 500 * MB;
    jest.advanceTimersByTime(2000);
    expect(collect).toHaveBeenCalledTimes(1);
    stop();
  });
});
