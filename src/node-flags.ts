/**
 * V8 flags every launcher starts the app with (`npm start`, the Dockerfile, the launcher of
 * benches and tests). They must be on node's command line: V8 sizes the young generation when
 * the process starts, and NODE_OPTIONS refuses `--heap-growing-percent`.
 *
 * - `--max-semi-space-size=32` (MB; 16 by default): a request's objects live for the ~10-20 ms
 *   it waits on PostgreSQL, across one or two scavenges of a 16 MB semi-space at 1 000
 *   requests a second, and were then promoted to the old generation. With 32 MB they die
 *   young: bench/submissions, 100 000 sends, had no full collection at all.
 * - `--heap-growing-percent=50`: V8's own full collection starts once the old generation has
 *   grown by half since the last one, rather than the up-to-4× it allows a fast allocator, so
 *   the resident size stays bounded without forcing collections. Forced ones (`gc()`, which a
 *   heap watch here used to call) throw away the optimised code of every hot function, which
 *   V8 then compiled again: a fifth of the app's CPU under bench/submissions (`--log-deopt`:
 *   ~1 000 "weak objects" deopts in 30 s against ~90 without).
 */
export const NODE_FLAGS = ['--max-semi-space-size=32', '--heap-growing-percent=50'] as const;

/** The flags this process was not started with (node's own arguments, not the script's). */
export const missingNodeFlags = (execArgv: readonly string[] = process.execArgv): string[] =>
  NODE_FLAGS.filter((flag) => !execArgv.includes(flag));
