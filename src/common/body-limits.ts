import { INestApplication } from '@nestjs/common';
import express, { NextFunction, Request, RequestHandler, Response } from 'express';
import { isUtf8 } from 'node:buffer';
import { BearerResolver, headerToken } from '../auth/bearer-resolver.js';
import { AppConfig } from '../config/app-config.js';
import { AppError } from './app-error.js';
import { sameSecret } from './same-secret.js';
import { isJsonContentType } from './json-body.js';
import { collectAfterAnswer } from './collect-after-answer.js';

/** Every route's body limit but the bulk ones: a single SMS or a user fits many times over. */
export const SMALL_BODY_LIMIT = 64 * 1024;

/**
 * Routes whose bodies may be large (bulk recipients; later CSV uploads). Express matches paths
 * case-insensitively and with a trailing slash, so the list does too; a route missed here
 * only ever gets the smaller limit.
 */
const LARGE_BODY_ROUTES: { method: string; path: RegExp }[] = [
  { method: 'POST', path: /^\/api\/sms\/send-bulk\/?$/i },
];

/** Routes whose body is a CSV file, streamed by their handler (never by a parser). */
const CSV_ROUTES: { method: string; path: RegExp }[] = [
  { method: 'POST', path: /^\/api\/sms\/send-csv\/?$/i },
  { method: 'POST', path: /^\/api\/admin\/suppressions\/import\/?$/i },
];

/** A CSV upload route; `path` is the full path (with /api). */
export const isCsvRoute = (method: string, path: string) =>
  CSV_ROUTES.some((r) => r.method === method && r.path.test(path));

/** text/csv, in UTF-8 (the only charset accepted). */
export function isCsvContentType(type: string): boolean {
  if (!/^text\/csv\b/i.test(type)) return false;
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(type)?.[1];
  return charset === undefined || /^utf-8$/i.test(charset);
}

/**
 * Room for SMS_MAX_BULK_RECIPIENTS personalised recipients (`{phone, vars}`, CONTENT.md) of
 * about 100 characters each (a number and two or three short values), plus the text: 10 MB
 * at the default 100 000.
 */
export function largeBodyLimit(config: AppConfig): number {
  return Math.max(1_000_000, config.smsMaxBulkRecipients * 100 + 100_000);
}

/** The gateway's receipts: up to 1 000 of at most about 800 bytes each. */
const RECEIPTS_ROUTE = /^\/api\/gateway\/receipts\/?$/i;
export const RECEIPTS_BODY_LIMIT = 1_000_000;

const isLargeBodyRoute = (req: Request) =>
  LARGE_BODY_ROUTES.some((r) => r.method === req.method && r.path.test(req.path));

/**
 * The parser would decode invalid UTF-8 into U+FFFD and carry on, so a mangled text could be
 * queued as if it were what the client meant to send. The raw bytes are checked first, in
 * place (decoding them just to check would hold a second copy of a bulk body).
 */
function requireUtf8(_req: unknown, _res: unknown, body: Buffer): void {
  if (!isUtf8(body)) {
    throw new AppError(400, 'VALIDATION_ERROR', 'Request body is not valid UTF-8', [
      { message: 'JSON bodies must be encoded in UTF-8 (RFC 8259)' },
    ]);
  }
}

function jsonParser(limit: number): RequestHandler {
  return express.json({
    limit,
    strict: true,
    type: (req) => isJsonContentType(req.headers['content-type'] ?? ''),
    verify: requireUtf8,
  });
}

const unauthorized = () => new AppError(401, 'UNAUTHORIZED', 'Missing, invalid or expired token');

/**
 * JSON parsing with a limit per route. A large-limit route first checks the bearer token
 * (through the resolver the guards use) and refuses a request without a valid one before a
 * byte of its body is read, so no anonymous client can make the server take in megabytes.
 * The guard still authorises the request as usual afterwards.
 */
export function jsonBodyParsers(app: INestApplication, config: AppConfig): RequestHandler {
  const small = jsonParser(SMALL_BODY_LIMIT);
  const large = jsonParser(largeBodyLimit(config));
  const receipts = jsonParser(RECEIPTS_BODY_LIMIT);
  const resolver = app.get(BearerResolver, { strict: false });
  return (req: Request, res: Response, next: NextFunction) => {
    // Only the gateway, holding the receipt secret, gets the larger limit there.
    const secret = config.smsReceiptSecret;
    if (
      secret &&
      req.method === 'POST' &&
      RECEIPTS_ROUTE.test(req.path) &&
      sameSecret(req.headers.authorization ?? '', `Bearer ${secret}`)
    ) {
      return receipts(req, res, next);
    }
    // A CSV upload's body is streamed by its handler, never parsed here.
    if (isCsvRoute(req.method, req.path)) return next();
    if (!isLargeBodyRoute(req)) return small(req, res, next);
    const refuse = () => {
      const length = Number(req.headers['content-length']);
      if (Number.isInteger(length) && length <= SMALL_BODY_LIMIT) {
        // A small body is read and dropped first: closing a socket with unread data makes the
        // kernel reset it, and the client may then lose the answer already sent.
        req.resume();
        req.once('end', () => next(unauthorized()));
        return;
      }
      // A large or unbounded body is not read: the connection closes after the answer.
      res.setHeader('Connection', 'close');
      next(unauthorized());
    };
    const token = headerToken(req);
    if (token === undefined) return refuse();
    resolver.resolve(token).then(
      (user) => {
        if (!user) return refuse();
        collectAfterAnswer(req, res);
        large(req, res, next);
      },
      (err: unknown) => next(err),
    );
  };
}
