import type { Hash } from 'node:crypto';

/** Elements written to the hash per update: a few hundred kB of text at most. */
const CHUNK = 4096;

const element = (v: unknown): string => JSON.stringify(v) ?? 'null';

/**
 * Feeds `hash` exactly the bytes of JSON.stringify(value), without ever holding that text
 * whole: an idempotency key's request meaning holds every number and, personalised, every
 * text (some 8 MB for 100 000 recipients). Arrays are written a chunk of elements at a time,
 * nested arrays in turn; anything else as JSON.stringify writes it.
 */
export function updateJson(hash: Hash, value: unknown): Hash {
  if (!Array.isArray(value)) {
    hash.update(JSON.stringify(value) ?? 'null');
    return hash;
  }
  hash.update('[');
  let run: unknown[] = [];
  const flush = (last: boolean) => {
    if (run.length > 0) hash.update(run.map(element).join(',') + (last ? '' : ','));
    run = [];
  };
  value.forEach((v, i) => {
    if (Array.isArray(v)) {
      flush(false);
      updateJson(hash, v);
      if (i < value.length - 1) hash.update(',');
      return;
    }
    run.push(v);
    if (run.length === CHUNK) flush(i === value.length - 1);
  });
  flush(true);
  hash.update(']');
  return hash;
}
