import {
  ArgumentsHost,
  BadRequestException,
  Catch,
  ExceptionFilter,
  HttpException,
  Logger,
} from '@nestjs/common';
import { ValidationError } from 'class-validator';
import type { Request, Response } from 'express';
import { QueryFailedError } from 'typeorm';
import { AppError, ErrorDetail } from './app-error.js';
import { CODE_BY_STATUS } from './error-codes.js';

interface Envelope {
  status: number;
  code: string;
  message: string;
  details?: ErrorDetail[];
}

/** Flattens nested class-validator errors into one detail per failing field. */
export function validationDetails(errors: ValidationError[], prefix = ''): ErrorDetail[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...validationDetails(e.children ?? [], field)];
  });
}

const CONNECTION_ERROR =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|timeout exceeded when trying to connect|Connection terminated|the database system is (starting up|shutting down)|terminating connection|is not currently accepting connections/i;

/** Errors that mean "the database is away", answered 503 rather than 500. */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: string }).code ?? '';
  return (
    CONNECTION_ERROR.test(err.message) ||
    code.startsWith('08') ||
    code === '53300' || // too_many_connections
    code === '57P01' ||
    code === '57P03'
  );
}

function describe(err: unknown): Envelope {
  if (err instanceof AppError) {
    return { status: err.getStatus(), code: err.code, message: err.message, details: err.details };
  }
  if (err instanceof BadRequestException) {
    const body = err.getResponse() as { message?: unknown; details?: ErrorDetail[] };
    if (Array.isArray(body.details)) {
      return {
        status: 400,
        code: 'VALIDATION_ERROR',
        message: 'Request validation failed',
        details: body.details,
      };
    }
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const code = CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'ERROR');
    return { status, code, message: status >= 500 ? 'Internal server error' : err.message };
  }
  // body-parser errors carry `type` and `status`.
  const bp = err as { type?: string; status?: number };
  if (bp?.type === 'entity.parse.failed') {
    return { status: 400, code: 'VALIDATION_ERROR', message: 'Malformed JSON body' };
  }
  if (bp?.type === 'entity.too.large') {
    return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'Request body is too large' };
  }
  if (bp?.type && typeof bp.status === 'number' && bp.status >= 400 && bp.status < 500) {
    return {
      status: bp.status,
      code: CODE_BY_STATUS[bp.status] ?? 'VALIDATION_ERROR',
      message: 'Unreadable request body',
    };
  }
  if (err instanceof QueryFailedError && (err.driverError as { code?: string })?.code === '23505') {
    return {
      status: 409,
      code: 'CONFLICT',
      message: 'A record with the same unique value already exists',
    };
  }
  if (isDatabaseUnavailable(err)) {
    return {
      status: 503,
      code: 'SERVICE_UNAVAILABLE',
      message: 'Database unavailable, try again shortly',
    };
  }
  return { status: 500, code: 'INTERNAL_ERROR', message: 'Internal server error' };
}

const logger = new Logger('Errors');

/** Writes the error envelope for anything thrown; shared by the filter and the parser hook. */
export function sendErrorEnvelope(
  err: unknown,
  req: Request & { id?: unknown },
  res: Response,
): void {
  const e = describe(err);
  const requestId = typeof req.id === 'string' ? req.id : undefined;
  if (e.status >= 500) logger.error({ err, requestId, path: req.path }, `answered ${e.status}`);
  const error: Record<string, unknown> = { code: e.code, message: e.message };
  if (e.details?.length) error.details = e.details;
  if (e.status >= 500 && requestId) error.request_id = requestId;
  if (e.status === 503) res.setHeader('Retry-After', '5');
  res.status(e.status).json({ success: false, error });
}

/** The single place that turns any thrown thing into the documented error envelope. */
@Catch()
export class EnvelopeExceptionFilter implements ExceptionFilter {
  catch(err: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    if (res.headersSent) return;
    sendErrorEnvelope(err, ctx.getRequest<Request>(), res);
  }
}
