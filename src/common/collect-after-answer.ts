import type { Request, Response } from 'express';
import v8 from 'node:v8';
import vm from 'node:vm';

/** Bodies at least this large (bytes, by Content-Length) are followed by a collection. */
export const COLLECT_AFTER_BYTES = 1_000_000;

type Collect = (options?: { type: 'major'; execution: 'async' }) => void;

/**
 * V8's own `gc`, without starting node with --expose-gc: the flag is set only while the one
 * context that exposes it is made. Null where this V8 does not allow it.
 */
function loadCollect(): Collect | null {
  const own = (globalThis as { gc?: unknown }).gc;
  if (typeof own === 'function') return own as Collect;
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc: unknown = vm.runInNewContext('gc');
    return typeof gc === 'function' ? (gc as Collect) : null;
  } catch {
    return null;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
}

let collect: Collect | null | undefined;
let scheduled = false;

/**
 * A bulk body of megabytes leaves tens of megabytes of garbage once answered (its text, the
 * parsed rows, the texts rendered from them, the query's array literals), mostly in V8's
 * old generation, which a heap sized for gigabytes only collects after growing to several
 * times what is live: bench/personalised, 100 000 recipients a request, piled up to 350 MB
 * resident before the first full collection, against 240 MB when each answer is followed by
 * one (measured). So once such a request's answer is out, a major collection is started:
 * incremental and concurrent (`execution: 'async'`), it blocks the event loop for well
 * under a millisecond where a synchronous one took 150 ms; requests finishing together
 * share one.
 */
export function collectAfterAnswer(req: Request, res: Response): void {
  const length = Number(req.headers['content-length']);
  if (Number.isFinite(length) && length >= COLLECT_AFTER_BYTES) {
    res.once('close', scheduleCollection);
  }
}

/** Starts a major collection soon, unless one is already about to start. */
function scheduleCollection(): void {
  collect ??= loadCollect();
  if (!collect || scheduled) return;
  scheduled = true;
  setImmediate(() => {
    scheduled = false;
    collect!({ type: 'major', execution: 'async' });
  });
}
