import { parse } from 'csv-parse';
import { finished, type Readable } from 'node:stream';
import { AppError } from '../common/app-error.js';
import { Utf8Guard } from './utf8-guard.js';

/** Header names of the phone column (any case). */
export const PHONE_COLUMNS = ['phone', 'phone_number', 'mobile', 'recipient', 'to'];

/** One data row: its record number in the file (the header is row 1), number and values. */
export interface CsvRow {
  row: number;
  phone: string;
  /** The other columns by header name (empty cells left out). */
  vars: Record<string, string>;
  /** Set when the row has another number of cells than the header. */
  problem?: string;
}

export interface CsvHeader {
  delimiter: ',' | ';';
  phoneColumn: string;
  columns: string[];
}

const HEADER_MAX_BYTES = 64 * 1024;
/**
 * Characters one record may hold: far more than any row whose text fits SMS_MAX_SEGMENTS, and
 * what bounds the parser's buffer (a body without line breaks would otherwise grow it).
 */
export const MAX_RECORD_CHARS = 64 * 1024;

const badCsv = (message: string) =>
  new AppError(400, 'VALIDATION_ERROR', message, [{ field: 'body', message }]);

/** `,` or `;`: whichever appears more often in the header line outside quotes. */
function delimiterOf(line: string): ',' | ';' {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === ',') commas++;
    else if (!quoted && c === ';') semicolons++;
  }
  return semicolons > commas ? ';' : ',';
}

/** Reads until the first line break (or the end) without losing what follows. */
async function readHead(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    if (body.errored) throw body.errored;
    const chunk: Buffer | null = body.read();
    if (chunk === null) {
      if (body.readableEnded) break;
      const ended = await new Promise<boolean>((resolve, reject) => {
        const done = (v: boolean) => {
          body.off('readable', onReadable);
          body.off('end', onEnd);
          body.off('error', onError);
          resolve(v);
        };
        const onReadable = () => done(false);
        const onEnd = () => done(true);
        const onError = (e: Error) => {
          body.off('readable', onReadable);
          body.off('end', onEnd);
          reject(e);
        };
        body.once('readable', onReadable);
        body.once('end', onEnd);
        body.once('error', onError);
      });
      if (ended) break;
      continue;
    }
    chunks.push(chunk);
    size += chunk.length;
    if (chunk.includes(0x0a) || size > HEADER_MAX_BYTES) break;
  }
  return Buffer.concat(chunks);
}

/**
 * Streams the rows of a CSV body (CONTENT.md): UTF-8 with or without a BOM (checked as it
 * streams: Utf8Guard), `,` or `;` found from the header line, RFC 4180 quoting. Never holds
 * the whole body: rows are handed to `onRow` as they are parsed, and when it answers a promise
 * (its consumer is full) the parser waits for it, so back-pressure reaches the socket. More
 * than `maxRows` data rows → 413; a body that stops before its end (the client went away) →
 * 400.
 */
export async function readCsv(
  body: Readable,
  maxRows: number,
  onHeader: (h: CsvHeader) => void,
  onRow: (r: CsvRow) => void | Promise<void>,
): Promise<number> {
  const guard = new Utf8Guard();
  // Its error is read where it is waited on (readHead, the parser); never unhandled.
  guard.on('error', () => undefined);
  body.pipe(guard);
  // pipe() does not pass on a body cut short: the guard is told, so the parser ends too.
  finished(body, (err) => {
    if (err) guard.destroy(cutShort());
  });
  let parser: ReturnType<typeof parse> | undefined;
  let columns: string[] | null = null;
  let phoneIndex = -1;
  let rows = 0;
  try {
    const head = await readHead(guard);
    const text = head.toString('utf8').replace(/^\uFEFF/, '');
    const firstLine = text.split(/\r?\n/, 1)[0];
    if (firstLine.trim() === '') throw badCsv('The CSV body is empty or has no header line');
    const delimiter = delimiterOf(firstLine);
    parser = parse({
      delimiter,
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      max_record_size: MAX_RECORD_CHARS,
    });
    const p = parser;
    if (guard.errored) throw guard.errored;
    guard.once('error', (e) => p.destroy(e));
    parser.write(head);
    guard.pipe(parser);
    const take = (record: string[]): void | Promise<void> => {
      if (columns === null) {
        columns = record.map((c) => c.trim());
        phoneIndex = columns.findIndex((c) => PHONE_COLUMNS.includes(c.toLowerCase()));
        if (phoneIndex === -1) {
          throw badCsv(`No phone column: the header needs one of ${PHONE_COLUMNS.join(', ')}`);
        }
        onHeader({ delimiter, phoneColumn: columns[phoneIndex], columns });
        return;
      }
      rows++;
      if (rows > maxRows) {
        throw new AppError(413, 'PAYLOAD_TOO_LARGE', `At most ${maxRows} rows per CSV upload`);
      }
      const vars: Record<string, string> = {};
      for (let i = 0; i < record.length && i < columns.length; i++) {
        if (i !== phoneIndex && record[i] !== '') vars[columns[i]] = record[i];
      }
      return onRow({
        row: rows + 1,
        phone: record[phoneIndex] ?? '',
        vars,
        ...(record.length === columns.length
          ? {}
          : { problem: `${record.length} cells where the header has ${columns.length}` }),
      });
    };
    await eachRecord(parser, take);
  } catch (e) {
    // The rest of the body is read and dropped, so the answer reaches the client.
    body.unpipe(guard);
    guard.unpipe();
    parser?.destroy();
    body.resume();
    if (e instanceof AppError) throw e;
    const err = e as { code?: string; message?: string };
    if (typeof err.code === 'string' && err.code.startsWith('CSV_')) {
      throw badCsv(`Unreadable CSV: ${err.message}`);
    }
    throw e;
  }
  if (columns === null) throw badCsv('The CSV body is empty or has no header line');
  return rows;
}

/**
 * Hands each of the parser's records to `take`, synchronously while the parser has some
 * buffered; when `take` answers a promise, reading waits for it. No promise per record (a
 * stream's async iterator makes one each, a visible part of a million-row upload's time).
 */
function eachRecord(
  parser: Readable,
  take: (record: string[]) => void | Promise<void>,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let waiting = false;
    const fail = (e: unknown) => {
      parser.off('readable', pump);
      reject(e);
    };
    function pump(): void {
      if (waiting) return;
      try {
        let record: string[] | null;
        while ((record = parser.read() as string[] | null) !== null) {
          const wait = take(record);
          if (wait) {
            waiting = true;
            wait.then(() => {
              waiting = false;
              pump();
            }, fail);
            return;
          }
        }
      } catch (e) {
        fail(e);
      }
    }
    parser.on('readable', pump);
    parser.once('end', resolve);
    parser.once('error', fail);
  });
}

const cutShort = () =>
  badCsv('The CSV body ended before its end (the connection was closed); nothing was queued');
