import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { AppError, notFound } from '../common/app-error.js';
import { sameSecret } from '../common/same-secret.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

/**
 * The gateway's receipts route: absent (404) unless SMS_RECEIPT_SECRET is set, then only
 * `Authorization: Bearer <SMS_RECEIPT_SECRET>` (compared in constant time), else 401.
 * Runs before the body is parsed into receipts.
 */
@Injectable()
export class ReceiptSecretGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const secret = this.config.smsReceiptSecret;
    if (!secret) throw notFound('Route');
    const header = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>()
      .headers.authorization;
    const given = typeof header === 'string' ? header : '';
    if (!sameSecret(given, `Bearer ${secret}`)) {
      throw new AppError(401, 'UNAUTHORIZED', 'Missing or wrong receipt secret');
    }
    return true;
  }
}
