import { stringify } from 'csv-stringify';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Response } from 'express';

/**
 * Streams CSV rows to the response as they are read: `rows` yields pages (keyset reads of
 * the database), Readable.from pulls the next page only when the stringifier and the socket
 * have taken the last (backpressure), so neither the result nor a slow client's backlog is
 * held in memory. Once the first byte is out an error can no longer be an envelope: the
 * response is cut off (the client sees an incomplete download, not a short "complete" one).
 */
export async function sendCsv(
  res: Response,
  filename: string,
  columns: string[],
  rows: AsyncIterable<unknown[][]>,
): Promise<void> {
  res.status(200);
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
  res.setHeader('Cache-Control', 'no-store');
  async function* each() {
    for await (const page of rows) yield* page;
  }
  await pipeline(
    Readable.from(each()),
    stringify({ header: true, columns, record_delimiter: 'windows' }),
    res,
  ).catch((e: unknown) => {
    // A client that went away ends the read; nothing more to tell anyone.
    if (!res.destroyed) res.destroy(e as Error);
  });
}
