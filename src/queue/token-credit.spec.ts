import { describe, expect, it } from '@jest/globals';
import { TokenCredit } from './token-credit.js';

/**
 * Plays the worker's use of the credit: grants of at most `grants[k]` tokens, asking each time
 * for what the SMS from `done` to the end still lack; returns the SMS sent after each grant.
 */
function play(sut: TokenCredit, count: number, grants: number[]): number[][] {
  let done = 0;
  return grants.map((max) => {
    sut.add(Math.min(max, sut.shortfall(done, count)));
    const sent: number[] = [];
    while (done < count && sut.spend(done)) sent.push(done++);
    return sent;
  });
}

describe(TokenCredit.name, () => {
  it('without costs every SMS costs one token: a grant of n sends n, nothing carried', () => {
    const sut = new TokenCredit();
    expect(sut.cost(0, 5)).toBe(5);
    expect(sut.shortfall(2, 5)).toBe(3);
    expect(play(sut, 5, [2, 3])).toEqual([
      [0, 1],
      [2, 3, 4],
    ]);
    expect(sut.tokens).toBe(0);
  });

  it('sends an SMS only when its whole cost is in hand, carrying the rest of a grant', () => {
    const sut = new TokenCredit([3, 3, 3]);
    expect(sut.cost(0, 3)).toBe(9);
    expect(sut.cost(1)).toBe(3);
    // 2 tokens: not enough for the first; 2 more: the first goes, 1 stays for the second;
    // that one lacks 2 of its 3, and the batch 5 of its remaining 6: a grant of 5 ends it.
    expect(play(sut, 3, [2, 2, 5])).toEqual([[], [0], [1, 2]]);
    expect(sut.tokens).toBe(0);
  });

  it('never spends more than was granted, and asks for exactly what is missing', () => {
    const costs = [1, 4, 2, 3, 1, 1, 5, 2];
    const total = costs.reduce((a, b) => a + b, 0);
    for (const grant of [1, 2, 3, 7]) {
      const sut = new TokenCredit(costs);
      let granted = 0;
      let done = 0;
      while (done < costs.length) {
        const ask = sut.shortfall(done, costs.length);
        expect(ask).toBe(costs.slice(done).reduce((a, b) => a + b, 0) - sut.tokens);
        const g = Math.min(grant, ask);
        granted += g;
        sut.add(g);
        while (done < costs.length && sut.spend(done)) done++;
        const spent = costs.slice(0, done).reduce((a, b) => a + b, 0);
        expect(spent + sut.tokens).toBe(granted);
        // Whatever is carried is less than the next SMS needs.
        if (done < costs.length) expect(sut.tokens).toBeLessThan(costs[done]);
      }
      expect(granted).toBe(total);
      expect(sut.tokens).toBe(0);
    }
  });

  it('carries the rest of a grant: 1 token left after the first SMS of three', () => {
    const sut = new TokenCredit([3, 3, 3]);
    sut.add(4);
    expect(sut.spend(0)).toBe(true);
    expect(sut.tokens).toBe(1);
    expect(sut.shortfall(1, 3)).toBe(5);
    expect(sut.shortfall(1, 2)).toBe(2);
  });

  it('a refused spend takes nothing; covers says the same beforehand', () => {
    const sut = new TokenCredit([2, 1]);
    sut.add(1);
    expect(sut.covers(0)).toBe(false);
    expect(sut.spend(0)).toBe(false);
    expect(sut.tokens).toBe(1);
    expect(sut.covers(1)).toBe(true);
    expect(sut.spend(1)).toBe(true);
    expect(sut.tokens).toBe(0);
  });

  it('gives up the tokens in hand for an SMS that will not be sent, never going below zero', () => {
    const sut = new TokenCredit([3, 2, 4]);
    sut.add(4);
    sut.forgo(0);
    expect(sut.tokens).toBe(1);
    sut.forgo(2);
    expect(sut.tokens).toBe(0);
  });

  it('refuses a cost that is not a whole number of tokens', () => {
    expect(() => new TokenCredit([1, 0])).toThrow(RangeError);
    expect(() => new TokenCredit([1.5])).toThrow(RangeError);
  });

  it('gives up every token in hand once past the spend-by time of the newest grant', () => {
    const sut = new TokenCredit([3, 3]);
    expect(sut.expire(5_000)).toBe(0); // nothing in hand
    sut.add(1, 1_000);
    expect(sut.expire(1_001)).toBe(1); // held past its time: a stall
    expect(sut.tokens).toBe(0);
    sut.add(2, 2_000);
    sut.add(2, 2_600); // carried while the worker went back to the bucket for the rest
    expect(sut.expire(2_600)).toBe(0);
    expect(sut.spend(0)).toBe(true);
    expect(sut.expire(2_601)).toBe(1);
    sut.add(1); // no keepMs: never expires on its own account
    expect(sut.expire(10_000)).toBe(0);
    expect(sut.tokens).toBe(1);
  });
});
