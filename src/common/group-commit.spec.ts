import { describe, expect, it } from '@jest/globals';
import { eachAloneOnFailure, GroupCommit, type ItemOutcome } from './group-commit.js';

/** A run the test finishes by hand, recording the batches it was given. */
function manualRun() {
  const batches: number[][] = [];
  const pending: { items: number[]; finish: (fail?: Error) => void }[] = [];
  const run = (items: number[]) =>
    new Promise<ItemOutcome<number>[]>((resolve, reject) => {
      batches.push(items);
      pending.push({
        items,
        finish: (fail) =>
          fail ? reject(fail) : resolve(items.map((i) => ({ ok: true, value: i * 10 }))),
      });
    });
  return { run, batches, pending };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('GroupCommit', () => {
  it('sends an item at once when idle, and gathers the ones that come meanwhile', async () => {
    const m = manualRun();
    const gc = new GroupCommit(m.run, { maxBatch: 3, maxInFlight: 1 });
    const first = gc.add(1);
    expect(m.batches).toEqual([[1]]);
    const rest = [2, 3, 4, 5].map((i) => gc.add(i));
    expect(m.batches).toHaveLength(1);
    m.pending[0].finish();
    await expect(first).resolves.toBe(10);
    await tick();
    // At most maxBatch together, in the order they came.
    expect(m.batches).toEqual([[1], [2, 3, 4]]);
    m.pending[1].finish();
    await tick();
    expect(m.batches).toEqual([[1], [2, 3, 4], [5]]);
    m.pending[2].finish();
    await expect(Promise.all(rest)).resolves.toEqual([20, 30, 40, 50]);
  });

  it('keeps up to maxInFlight runs under way', () => {
    const m = manualRun();
    const gc = new GroupCommit(m.run, { maxBatch: 10, maxInFlight: 2 });
    [1, 2, 3, 4].forEach((i) => void gc.add(i));
    expect(m.batches).toEqual([[1], [2]]);
  });

  it("rejects each caller with its own item's error, and all of a failed run's callers", async () => {
    const gc = new GroupCommit<number, number>(
      async (items) =>
        items.map((i) =>
          i === 2 ? { ok: false, error: new Error('bad 2') } : { ok: true, value: i },
        ),
      { maxBatch: 10, maxInFlight: 1 },
    );
    const settled = await Promise.allSettled([1, 2, 3].map((i) => gc.add(i)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);

    const m = manualRun();
    const failing = new GroupCommit(m.run, { maxBatch: 10, maxInFlight: 1 });
    const all = [1, 2].map((i) => failing.add(i));
    m.pending[0].finish(new Error('down'));
    await expect(all[0]).rejects.toThrow('down');
    await tick();
    m.pending[1].finish(new Error('still down'));
    await expect(all[1]).rejects.toThrow('still down');
  });
});

describe('eachAloneOnFailure', () => {
  it('runs the items alone after a failed batch, so only the bad one fails', async () => {
    const calls: number[][] = [];
    const many = async (items: number[]) => {
      calls.push(items);
      if (items.includes(3)) throw new Error('no 3');
      return items.map((i) => i + 1);
    };
    const outcomes = await eachAloneOnFailure([1, 2, 3, 4], many);
    expect(outcomes.map((o) => (o.ok ? o.value : 'failed'))).toEqual([2, 3, 'failed', 5]);
    expect(calls).toEqual([[1, 2, 3, 4], [1], [2], [3], [4]]);
    await expect(eachAloneOnFailure([5], async () => [6])).resolves.toEqual([
      { ok: true, value: 6 },
    ]);
  });
});
