import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import type { Request, Response } from 'express';
import { COLLECT_AFTER_BYTES, collectAfterAnswer } from './collect-after-answer.js';

const request = (length: number) =>
  ({ headers: { 'content-length': String(length) } }) as unknown as Request;

describe('collectAfterAnswer', () => {
  it('leaves small requests alone', () => {
    const res = new EventEmitter();
    collectAfterAnswer(request(COLLECT_AFTER_BYTES - 1), res as unknown as Response);
    expect(res.listenerCount('close')).toBe(0);
  });

  it("collects a large request's garbage once it is answered", async () => {
    // Young, unreachable, and nothing else allocating: only a collection clears it.
    const ref = (() => new WeakRef({ rows: Array.from({ length: 1000 }, (_, i) => ({ i })) }))();
    const res = new EventEmitter();
    collectAfterAnswer(request(COLLECT_AFTER_BYTES), res as unknown as Response);
    expect(res.listenerCount('close')).toBe(1);
    res.emit('close');
    for (let i = 0; i < 100 && ref.deref() !== undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(ref.deref()).toBeUndefined();
  });
});
