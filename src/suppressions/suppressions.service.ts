import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { AppError, notFound } from '../common/app-error.js';
import { pageMeta } from '../common/pagination.dto.js';
import { normalizePhone, type PhonePolicy } from '../messages/phone-numbers.js';
import {
  CreateSuppressionDto,
  SuppressionDto,
  SuppressionListDto,
  SuppressionQueryDto,
} from './dto/suppression.dto.js';
import { SuppressionRow, SuppressionsRepository } from './suppressions.repository.js';

export const toSuppression = (r: SuppressionRow): SuppressionDto => ({
  phone: r.phone,
  reason: r.reason,
  created_at: r.created_at.toISOString(),
  created_by: r.created_by,
});

/**
 * The suppression list (CONTENT.md): numbers compared in E.164, so every number given here
 * is normalised exactly as recipients are (the same policy: allowed countries and default
 * country), and a number sent later in another spelling still matches.
 */
@Injectable()
export class SuppressionsService {
  readonly phonePolicy: PhonePolicy;

  constructor(
    private readonly repo: SuppressionsRepository,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.phonePolicy = {
      allowedCountries: config.smsAllowedCountries,
      defaultCountry: config.smsDefaultCountry,
    };
  }

  async list(q: SuppressionQueryDto): Promise<SuppressionListDto> {
    // A filter is a prefix of the E.164 form: separators dropped, the + implied.
    const digits = q.phone?.replace(/[\s().-]/g, '');
    const prefix =
      digits === undefined || digits === '' ? undefined : `+${digits.replace(/^\+/, '')}`;
    const { items, total } = await this.repo.list(prefix, (q.page - 1) * q.per_page, q.per_page);
    return { suppressions: items.map(toSuppression), ...pageMeta(total, q) };
  }

  /** The entry, and whether it is new (201) or was already there (200, unchanged). */
  async add(
    body: CreateSuppressionDto,
    adminId: number,
  ): Promise<{ created: boolean; entry: SuppressionDto }> {
    const phone = this.e164(body.phone, 'phone');
    const created = await this.repo.add(phone, body.reason?.trim() ?? null, adminId);
    const row = await this.repo.find(phone);
    // Removed again between the two statements: answered as what was asked.
    if (!row) throw notFound('Suppression');
    return { created, entry: toSuppression(row) };
  }

  async remove(raw: string): Promise<void> {
    const phone = this.e164(raw, 'phone');
    if (!(await this.repo.remove(phone))) throw notFound('Suppression');
  }

  /** How many of these E.164 numbers are suppressed (the CSV dry-run report). */
  suppressedAmong(phones: string[]): Promise<number> {
    return this.repo.countAmong(phones);
  }

  e164(raw: string, field: string): string {
    const r = normalizePhone(raw, this.phonePolicy);
    if (!r.ok) {
      throw new AppError(400, 'VALIDATION_ERROR', `${field} ${r.message}`, [
        { field, value: raw, message: r.message },
      ]);
    }
    return r.e164;
  }
}
