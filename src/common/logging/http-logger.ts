import type { NextFunction, Request, Response } from 'express';
import type { Logger as Pino } from 'pino';
import { pinoHttp } from 'pino-http';
import { requestId } from '../request-id.js';
import { requestContext } from './request-context.js';

/** Probes and metrics scrapes: no access line, and no request context (see inContext). */
const PROBE = /^\/(api\/health|metrics)/;

/**
 * The path with every query value replaced: a query string may carry a token (e.g.
 * `?access_token=`) or personal data, and the access log keeps neither.
 */
export function loggableUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const keys = url
    .slice(q + 1)
    .split('&')
    .filter(Boolean)
    .map((pair) => `${pair.split('=')[0].slice(0, 64)}=[redacted]`);
  return `${url.slice(0, q)}?${keys.join('&')}`;
}

/**
 * One access-log line per request (not for probes and scrapes), and the request context.
 * With access lines below the log level (LOG_LEVEL warn or above) only the request id and
 * context are kept: pino-http would still build a logger and listeners for every request
 * (some 5 % of the app's CPU per single send under bench/submissions) to log nothing.
 */
export function httpLogger(logger: Pino) {
  if (!logger.isLevelEnabled('info')) {
    return (req: Request, res: Response, next: NextFunction) => {
      (req as Request & { id: string }).id = requestId(req, res);
      inContext(req, next);
    };
  }
  const log = pinoHttp({
    logger,
    genReqId: requestId,
    autoLogging: { ignore: (req) => PROBE.test(req.url ?? '') },
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        url: loggableUrl(req.url),
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
  return (req: Request, res: Response, next: NextFunction) => {
    log(req, res);
    inContext(req, next);
  };
}

/**
 * The rest of the request runs in a context that carries its id (req.id, set before). Not
 * for probes and scrapes: the first context switches on AsyncLocalStorage's promise hooks
 * for the whole process, after which every await costs some 3-4 times as much, and a worker
 * process (QUEUE_ROLE=worker), which serves nothing else, then never pays that.
 */
function inContext(req: Request, next: NextFunction): void {
  if (PROBE.test(req.url)) return next();
  requestContext.run({ requestId: String(req.id) }, next);
}
