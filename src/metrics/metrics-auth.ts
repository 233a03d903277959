import type { NextFunction, Request, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../common/app-error.js';
import { sendErrorEnvelope } from '../common/envelope.filter.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * With METRICS_TOKEN set, /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`.
 * Both sides are hashed to one length first, so the comparison takes the same time whatever
 * the guess, its length included.
 */
export function requireMetricsToken(token: string) {
  const expected = digest(`Bearer ${token}`);
  return (req: Request, res: Response, next: NextFunction) => {
    if (timingSafeEqual(digest(req.headers.authorization ?? ''), expected)) return next();
    res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
    sendErrorEnvelope(
      new AppError(401, 'UNAUTHORIZED', 'METRICS_TOKEN is set: send it as a bearer token'),
      req,
      res,
    );
  };
}
