import v8 from 'node:v8';
import { scheduleCollection } from './collect-after-answer.js';

export interface HeapWatchOptions {
  everyMs: number;
  /** Heap in use below which nothing is started, however much of it is garbage (bytes). */
  floorBytes: number;
  /** A collection starts once the heap in use is this many times what the last one left. */
  growth: number;
  readUsed?: () => number;
  collect?: () => void;
}

/**
 * Defaults for the service: a glance every half second, nothing below 64 MB in use (the idle
 * app holds ~55 MB live), then at 1.5 times what the last collection left. bench/submissions,
 * 30 000 sends: peak 284-294 MB resident with these and MALLOC_ARENA_MAX=2, 327-335 MB with
 * 96 MB and twice, the rate the same within the runs' noise.
 */
export const HEAP_WATCH: HeapWatchOptions = {
  everyMs: 500,
  floorBytes: 64 * 1024 * 1024,
  growth: 1.5,
};

/**
 * Starts a major collection whenever the heap in use has grown `growth` times since the last
 * one this started (and passed `floorBytes`). Under a steady stream of small requests V8 promotes
 * each request's objects (they outlive a scavenge or two while the request waits on the
 * database) and lets the old generation fill with them up to a limit sized for gigabytes:
 * bench/submissions, ~50 MB live, grew the old space to 195 MB and the process to 380-400 MB
 * resident before V8's own full collection came. The collection is incremental and
 * concurrent (see collectAfterAnswer); the heap in use is read again one glance after it,
 * as what now counts as live. Returns the stop function.
 */
export function watchHeap(options: HeapWatchOptions = HEAP_WATCH): () => void {
  const readUsed = options.readUsed ?? (() => v8.getHeapStatistics().used_heap_size);
  const collect = options.collect ?? scheduleCollection;
  let live = 0;
  let measureNext = false;
  const timer = setInterval(() => {
    const used = readUsed();
    if (measureNext) {
      live = used;
      measureNext = false;
    } else if (used > Math.max(options.floorBytes, options.growth * live)) {
      collect();
      measureNext = true;
    }
  }, options.everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
