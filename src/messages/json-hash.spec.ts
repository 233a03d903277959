import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { updateJson } from './json-hash.js';

const expected = (v: unknown) =>
  createHash('sha256')
    .update(JSON.stringify(v) ?? 'null')
    .digest('hex');
const actual = (v: unknown) => updateJson(createHash('sha256'), v).digest('hex');

describe('updateJson', () => {
  // Idempotency keys stored before it keep matching: the digest is JSON.stringify's.
  it.each([
    ['an empty array', []],
    ['a scalar', 'plain "text" \\ 中文'],
    ['an object', { id: 3, version: 2, nested: [1, { a: null }] }],
    ['nulls and undefined in arrays', [null, undefined, 1, 'a']],
    ['nested arrays first, last and alone', [[1], 'x', [], [['y']], 2, [3]]],
    [
      "a request's meaning",
      ['bulk', ['+85291234567', '+85291234568'], 'Hi {{n}}', false, { start: '09:00' }],
    ],
  ])('gives the digest of JSON.stringify for %s', (_, value) => {
    expect(actual(value)).toBe(expected(value));
  });

  it('gives it across chunk boundaries', () => {
    const phones = Array.from({ length: 10_000 }, (_, i) => `+852${90_000_000 + i}`);
    const contents = phones.map((p, i) => (i % 3 === 0 ? null : `Dear "${p}"\n`));
    for (const n of [4095, 4096, 4097, 8192, 10_000]) {
      const meaning = ['bulk', phones.slice(0, n), 'x', true, contents.slice(0, n)];
      expect(actual(meaning)).toBe(expected(meaning));
      expect(actual(phones.slice(0, n))).toBe(expected(phones.slice(0, n)));
    }
  });
});
