import { createParamDecorator, ExecutionContext, Injectable, PipeTransform } from '@nestjs/common';
import { validationError } from '../common/app-error.js';

const PRINTABLE = /^[\x20-\x7e]{1,200}$/;

/** The Idempotency-Key header: absent, or 1 to 200 printable ASCII characters. */
@Injectable()
export class IdempotencyKeyPipe implements PipeTransform<unknown, string | undefined> {
  transform(value: unknown): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !PRINTABLE.test(value)) {
      throw validationError('Idempotency-Key must be 1 to 200 printable characters', [
        { field: 'Idempotency-Key', message: 'must be 1 to 200 printable characters' },
      ]);
    }
    return value;
  }
}

/** The raw Idempotency-Key header, for use with IdempotencyKeyPipe. */
export const IdempotencyKey = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): unknown =>
    ctx.switchToHttp().getRequest().headers['idempotency-key'],
);
