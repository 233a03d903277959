/**
 * CSV formula injection (OWASP "CSV Injection"): a spreadsheet runs a cell that starts with
 * = + - @ (or a tab or carriage return, which some treat the same) as a formula. Such text
 * cells get a leading single quote, which spreadsheets show as text and do not keep.
 * Exception: a phone column's E.164 numbers (+85291234567) are data we wrote ourselves, never
 * a formula, and prefixing every one would spoil the export for machines; they are left as
 * they are.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const E164 = /^\+[1-9]\d{1,14}$/;

export function safeText(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

export function safePhone(value: string): string {
  return E164.test(value) ? value : safeText(value);
}

/** A cell as written: dates in ISO 8601 (UTC), null empty, text guarded. */
export function cell(value: unknown): string | number | boolean {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  return safeText(String(value));
}
