import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { AppError } from '../common/app-error.js';
import { Utf8Guard } from './utf8-guard.js';

/** The guard's output for `chunks` fed one by one, or the AppError it refused them with. */
async function through(chunks: Buffer[]): Promise<Buffer | AppError> {
  const out: Buffer[] = [];
  try {
    for await (const c of Readable.from(chunks).pipe(new Utf8Guard())) out.push(c as Buffer);
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  return Buffer.concat(out);
}

const rowOf = (e: Buffer | AppError) => (e instanceof AppError ? e.details?.[0]?.row : 'passed');

describe('Utf8Guard', () => {
  it('passes UTF-8 through unchanged, characters split across chunks included', async () => {
    const text = Buffer.from('phone,name\n+85291000001,Zoë 😀 陳\n', 'utf8');
    // Every split point, so 2-, 3- and 4-byte characters are each cut somewhere.
    for (let cut = 1; cut < text.length; cut++) {
      const out = await through([text.subarray(0, cut), text.subarray(cut)]);
      expect(out).toEqual(text);
    }
  });

  it('names the row of a bad byte: records, not lines (quoted line breaks, empty lines)', async () => {
    const head = 'phone,name\r\n+85291000001,"two\nlines"\r\n\r\n+85291000002,ok\n+85291000003,';
    const bad = Buffer.concat([Buffer.from(head), Buffer.from([0xff]), Buffer.from('\n')]);
    expect(rowOf(await through([bad]))).toBe(4);
    // The same with the bad byte alone in a later chunk.
    expect(rowOf(await through([Buffer.from(head), Buffer.from([0x41, 0xc3, 0x28])]))).toBe(4);
    expect(rowOf(await through([Buffer.from([0x70, 0xc0, 0x80])]))).toBe(1);
  });

  it('refuses a body that ends inside a character', async () => {
    const e = await through([Buffer.from('phone\n+85291000001'), Buffer.from([0xe2, 0x82])]);
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).getStatus()).toBe(400);
    expect(rowOf(e)).toBe(2);
  });

  it('refuses overlong and surrogate encodings', async () => {
    for (const bytes of [
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
    ]) {
      expect(rowOf(await through([Buffer.from('phone\n'), Buffer.from(bytes)]))).toBe(2);
    }
  });
});
