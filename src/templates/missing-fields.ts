import { AppError } from '../common/app-error.js';

/** How many rows a MISSING_FIELDS answer names (the message gives the total). */
export const MISSING_FIELDS_SHOWN = 100;

export interface MissingRow {
  /** 0-based position in the request's recipients. */
  index: number;
  phone: unknown;
  /** Placeholder names (lower-cased) without a value for this row. */
  missing: string[];
}

/** 400 MISSING_FIELDS: the first 100 rows without values for some placeholders, and the total. */
export function missingFieldsError(rows: MissingRow[]): AppError {
  const total = rows.length;
  return new AppError(
    400,
    'MISSING_FIELDS',
    `${total} recipient(s) lack values for template placeholders; nothing was queued`,
    rows.slice(0, MISSING_FIELDS_SHOWN).map((r) => ({
      field: `recipients[${r.index}]`,
      value: r.phone,
      message: `no value for ${r.missing.join(', ')}`,
      index: r.index,
      missing: r.missing,
      total,
    })),
  );
}
