import {
  CallHandler,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { map, Observable } from 'rxjs';

const RAW_RESPONSE = 'smspanel:raw-response';
/** Marks a handler whose answer is sent bare (health probes, metrics), not enveloped. */
export const RawResponse = () => SetMetadata(RAW_RESPONSE, true);

export interface Enveloped<T> {
  success: true;
  data: T;
  message?: string;
}

/** Wraps every successful answer in `{success: true, data}` as the API contract says. */
@Injectable()
export class EnvelopeInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const raw = this.reflector.getAllAndOverride<boolean>(RAW_RESPONSE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (raw) return next.handle();
    return next
      .handle()
      .pipe(map((data) => (data === undefined ? undefined : { success: true, data })));
  }
}
