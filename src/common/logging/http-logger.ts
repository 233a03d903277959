import type { NextFunction, Request, Response } from 'express';
import type { Logger as Pino } from 'pino';
import { pinoHttp } from 'pino-http';
import { requestId } from '../request-id.middleware.js';
import { requestContext } from './request-context.js';

/** One access-log line per request (not for probes and scrapes), and the request context. */
export function httpLogger(logger: Pino) {
  const log = pinoHttp({
    logger,
    genReqId: requestId,
    autoLogging: { ignore: (req) => /^\/(api\/health|metrics)/.test(req.url ?? '') },
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
  return (req: Request, res: Response, next: NextFunction) => {
    log(req, res);
    requestContext.run({ requestId: String(req.id) }, next);
  };
}
