/** Line prefix of qcount-preload.ts output (kept apart so that readers do not load the preload). */
export const QCOUNT_PREFIX = 'BENCH-TRACE qcount ';
