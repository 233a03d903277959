import { HttpException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { AppError, validationError } from './app-error.js';
import { CODE_BY_STATUS } from './error-codes.js';

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\b/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;

/**
 * application/json or any `+json` type, in UTF-8 (the only encoding JSON may use between
 * systems, RFC 8259). The 415 guard and the parser share it, so no body the guard lets
 * through is skipped by the parser and silently read as empty.
 */
export function isJsonContentType(type: string): boolean {
  if (!JSON_TYPE.test(type)) return false;
  const charset = CHARSET.exec(type)?.[1];
  return charset === undefined || /^utf-8$/i.test(charset);
}

const MAX_DEPTH = 32;
/** class-transformer drops these silently, so the whitelist never sees them as unknown. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Why a parsed JSON body is refused before any DTO sees it, or null. It walks every value of
 * a bulk body (100 000 recipients and their vars), so it allocates nothing per value: no
 * key or value lists, no pairs on the stack.
 */
export function jsonBodyProblem(body: unknown): string | null {
  if (body === null || typeof body !== 'object') return null;
  const values: object[] = [body];
  const depths: number[] = [1];
  while (values.length) {
    const value = values.pop()!;
    const depth = depths.pop()!;
    // Deeper bodies would overflow the stack of the recursive DTO transformation (a 500).
    if (depth > MAX_DEPTH) return `JSON nested deeper than ${MAX_DEPTH} levels`;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const v: unknown = value[i];
        if (v !== null && typeof v === 'object') {
          values.push(v);
          depths.push(depth + 1);
        }
      }
      continue;
    }
    const record = value as Record<string, unknown>;
    // JSON.parse makes plain objects: every key for-in meets is their own.
    for (const k in record) {
      if (FORBIDDEN_KEYS.has(k)) return `field name "${k}" is not allowed`;
      const v = record[k];
      if (v !== null && typeof v === 'object') {
        values.push(v);
        depths.push(depth + 1);
      }
    }
  }
  return null;
}

/** Runs after the JSON parser: refuses over-deep bodies and prototype-ish field names. */
export function checkJsonBody(req: Request, _res: Response, next: NextFunction): void {
  const problem = jsonBodyProblem(req.body);
  if (!problem) return next();
  next(validationError('Request validation failed', [{ message: problem }]));
}

/**
 * Parser-stage errors (http-errors from body-parser, raw-body, zlib) keep their 4xx status
 * even when they carry no `type` (e.g. a body that claims gzip but is not), instead of
 * falling through to a 500.
 */
export function parserClientError(err: unknown): unknown {
  const e = err as { status?: unknown; type?: unknown };
  if (
    err instanceof Error &&
    !(err instanceof HttpException) &&
    e.type === undefined &&
    typeof e.status === 'number' &&
    e.status >= 400 &&
    e.status < 500
  ) {
    const code = CODE_BY_STATUS[e.status] ?? 'VALIDATION_ERROR';
    return new AppError(e.status, code, 'Unreadable request body');
  }
  return err;
}
