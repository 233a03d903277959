import type { NextFunction, Request, Response } from 'express';
import type { Logger as Pino } from 'pino';
import { pinoHttp } from 'pino-http';
import { requestId } from '../request-id.js';
import { requestContext } from './request-context.js';

/** Probes and metrics scrapes: no access line, and no request context (see withContext). */
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
 * One access-log line per request (not for probes and scrapes), and at debug or trace the
 * request context (see withContext). With access lines below the log level (LOG_LEVEL warn
 * or above) only the request id is kept: pino-http would still build a logger and
 * listeners for every request (some 5 % of the app's CPU per single send under
 * bench/submissions) to log nothing.
 */
export function httpLogger(logger: Pino) {
  const proceed = withContext(logger);
  if (!logger.isLevelEnabled('info')) {
    return (req: Request, res: Response, done: NextFunction) => {
      (req as Request & { id: string }).id = requestId(req, res);
      proceed(req, done);
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
  return (req: Request, res: Response, done: NextFunction) => {
    log(req, res);
    proceed(req, done);
  };
}

/**
 * How the rest of a request runs: at debug or trace, in a context that carries its id
 * (req.id, set before), so every line it causes names it; at info and above, as it is.
 * The first context switches on AsyncLocalStorage's promise hooks for the whole process,
 * after which every await costs some 3-4 times as much (a tenth of the API process's CPU
 * per single send), and at those levels the only lines a request makes are its access
 * line and a 5xx's error line, which carry the id themselves (envelope.filter). Probes
 * and scrapes never get a context: a worker process (QUEUE_ROLE=worker) serves nothing
 * else, so it never pays, whatever the level.
 */
function withContext(logger: Pino): (req: Request, done: NextFunction) => void {
  if (!logger.isLevelEnabled('debug')) return (_req, done) => done();
  return (req, done) => {
    if (PROBE.test(req.url)) return done();
    requestContext.run({ requestId: String(req.id) }, done);
  };
}
