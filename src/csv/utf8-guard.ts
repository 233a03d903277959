import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../common/app-error.js';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** How many bytes at the end of `buf` (valid UTF-8 so far) start a sequence it does not finish. */
function unfinishedTail(buf: Buffer): number {
  for (let k = 1; k <= Math.min(3, buf.length); k++) {
    const b = buf[buf.length - k];
    if ((b & 0xc0) === 0x80) continue;
    const needs = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return needs > k ? k : 0;
  }
  return 0;
}

/** The offset in `bytes` of the first byte a strict decoder refuses (`bytes` is known to be bad). */
function firstBadByte(bytes: Buffer): number {
  let lo = 1;
  let hi = bytes.length;
  // The shortest prefix a streaming strict decoder refuses ends at the bad byte.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
      lo = mid + 1;
    } catch {
      hi = mid;
    }
  }
  return lo - 1;
}

/**
 * Passes a CSV body through unchanged while checking that it is UTF-8 (the parser would turn
 * bad bytes into U+FFFD and the mangled text could be queued). A streaming strict decoder
 * checks each chunk, so a character split across two chunks is fine. To name the row of a bad
 * byte, it counts the records ended so far as csv-parse does (line breaks outside quotes, empty
 * lines not counted): the header is row 1.
 */
export class Utf8Guard extends Transform {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  /** Records ended so far, the header included. */
  private records = 0;
  private quoted = false;
  /** The record being read has something besides line breaks. */
  private started = false;
  /** The end of the last chunk, when it started a character the next chunk finishes. */
  private carry: Buffer = Buffer.alloc(0);

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.decoder.decode(chunk, { stream: true });
    } catch {
      const joined = Buffer.concat([this.carry, chunk]);
      const bad = Math.max(0, firstBadByte(joined) - this.carry.length);
      this.count(chunk, bad);
      return done(this.refusal());
    }
    this.count(chunk, chunk.length);
    this.carry = Buffer.from(chunk.subarray(chunk.length - unfinishedTail(chunk)));
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    try {
      this.decoder.decode();
    } catch {
      // The body ends inside a character.
      return done(this.refusal());
    }
    done();
  }

  private refusal(): AppError {
    const row = this.records + 1;
    const message = `row ${row} is not valid UTF-8`;
    return new AppError(400, 'VALIDATION_ERROR', `The CSV body is not valid UTF-8 (row ${row})`, [
      { field: 'body', row, message },
    ]);
  }

  /** Counts the records that end in chunk[0, end). Jumps between quotes and line breaks. */
  private count(chunk: Buffer, end: number): void {
    let i = 0;
    let nextQuote = -1;
    while (i < end) {
      if (this.quoted) {
        const close = chunk.indexOf(QUOTE, i);
        this.started = true;
        if (close === -1 || close >= end) return;
        this.quoted = false;
        i = close + 1;
        continue;
      }
      if (nextQuote !== -2 && nextQuote < i) {
        nextQuote = chunk.indexOf(QUOTE, i);
        if (nextQuote === -1) nextQuote = -2;
      }
      const quote = nextQuote === -2 || nextQuote >= end ? end : nextQuote;
      const lf = chunk.indexOf(LF, i);
      if (lf !== -1 && lf < quote) {
        if (lf > i + 1 || (lf === i + 1 && chunk[i] !== CR)) this.started = true;
        if (this.started) this.records++;
        this.started = false;
        i = lf + 1;
        continue;
      }
      if (quote > i) this.started = true;
      if (quote === end) return;
      this.quoted = true;
      i = quote + 1;
    }
  }
}
