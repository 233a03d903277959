import type { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger as Pino } from 'pino';
import { requestContext } from './request-context.js';

/** Never written to the logs: credentials of any kind. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'password',
  'token',
  'secret',
  '*.password',
  '*.current_password',
  '*.new_password',
  '*.token',
  '*.access_token',
  '*.secret',
  '*.sessionSecret',
  '*.smsApiSecret',
  '*.metricsToken',
];

/**
 * JSON lines for machines; pretty lines when a person watches a terminal. At debug or trace
 * every line made while serving a request carries its id (httpLogger's request context).
 * `destination` (tests) replaces stdout.
 */
export function createRootLogger(level: string, destination?: DestinationStream): Pino {
  const options: pino.LoggerOptions = {
    level,
    redact: { paths: REDACT, censor: '[redacted]' },
    mixin: () => {
      const ctx = requestContext.getStore();
      return ctx ? { requestId: ctx.requestId } : {};
    },
  };
  if (destination) return pino(options, destination);
  if (process.stdout.isTTY) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' },
      },
    });
  }
  // Written asynchronously: lines made while a write is under way go out together in the
  // next one (a synchronous write per line was a third of the app's CPU under 300 requests
  // a second, measured by bench/submissions). pino flushes what is left when the process exits.
  return pino(options, pino.destination({ dest: 1, sync: false }));
}

/** Nest's logger interface over pino, so framework and app lines share one format. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly pino: Pino) {}

  private write(
    level: 'info' | 'warn' | 'error' | 'debug' | 'trace',
    message: unknown,
    rest: unknown[],
  ) {
    // Before anything is built: a debug line per SMS sent (the simulator) would otherwise
    // make its objects at every level.
    if (!this.pino.isLevelEnabled(level)) return;
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    if (message && typeof message === 'object' && !(message instanceof Error)) {
      const msg = typeof rest[0] === 'string' ? rest[0] : undefined;
      this.pino[level]({ context, ...(message as object) }, msg);
    } else if (message instanceof Error) {
      this.pino[level]({ context, err: message }, message.message);
    } else {
      const stack = level === 'error' && typeof rest[0] === 'string' ? rest[0] : undefined;
      this.pino[level]({ context, ...(stack ? { stack } : {}) }, String(message));
    }
  }

  log(message: unknown, ...rest: unknown[]) {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]) {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.write('trace', message, rest);
  }
}
