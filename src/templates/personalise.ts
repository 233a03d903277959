import { AppError, type ErrorDetail } from '../common/app-error.js';
import type { PhoneResult } from '../messages/phone-numbers.js';
import type { ContentInfo } from '../messages/sms-encoding.js';
import { missingFieldsError, MissingRow } from './missing-fields.js';
import { missingNames, normalizeVars, ParsedTemplate, render } from './placeholders.js';

/** How many bad rows an error answer names. */
const SHOWN = 100;

/**
 * A personalised list's totals without its recipients (a CSV upload stages those in
 * PostgreSQL as they stream in): `count` recipients after duplicates were left out.
 */
export interface StagedList {
  count: number;
  duplicatesRemoved: number;
  maxSegments: number;
  totalSegments: number;
  encoding: ContentInfo['encoding'];
}

/** Counts one more recipient of `info` into `list`. */
export function addStaged(list: StagedList, info: ContentInfo): void {
  list.count++;
  list.maxSegments = Math.max(list.maxSegments, info.segments);
  list.totalSegments += info.segments;
  if (info.encoding === 'ucs2') list.encoding = 'ucs2';
}

export interface PersonalisedList {
  phones: string[];
  /** Each recipient's rendered text, null where it equals the job's content. */
  contents: (string | null)[];
  /** Each recipient's segments, null where its text is the job's. */
  segments: (number | null)[];
  duplicatesRemoved: number;
  /** The largest segment count, and the sum over recipients. */
  maxSegments: number;
  totalSegments: number;
  /** ucs2 when any recipient's text needs it. */
  encoding: ContentInfo['encoding'];
}

/** An empty list, to add rendered recipients to. */
export const emptyList = (): PersonalisedList => ({
  phones: [],
  contents: [],
  segments: [],
  duplicatesRemoved: 0,
  maxSegments: 0,
  totalSegments: 0,
  encoding: 'gsm7',
});

/** Adds one recipient; its own text and segments are kept only when they differ from the job's. */
export function addRendered(
  list: PersonalisedList,
  phone: string,
  text: string,
  source: string,
  info: ContentInfo,
): void {
  const own = text !== source;
  list.phones.push(phone);
  list.contents.push(own ? text : null);
  list.segments.push(own ? info.segments : null);
  list.maxSegments = Math.max(list.maxSegments, info.segments);
  list.totalSegments += info.segments;
  if (info.encoding === 'ucs2') list.encoding = 'ucs2';
}

export interface PersonaliseDeps {
  normalizePhone: (input: string) => PhoneResult;
  /** Throws an AppError (field `content`) when the text cannot be sent. */
  checkContent: (text: string) => ContentInfo;
}

/**
 * Whether send-bulk's recipients are {phone, vars} objects: all of them. A list with any
 * string stays a plain bulk, whose other entries are then refused per index as numbers.
 */
export function objectRecipients(recipients: readonly unknown[]): boolean {
  return recipients.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r));
}

const VAR_VALUE = (v: unknown) =>
  v === null || typeof v === 'string' || typeof v === 'boolean' || Number.isFinite(v);

function shapeProblem(r: Record<string, unknown>): { field: string; message: string } | null {
  const extra = Object.keys(r).find((k) => k !== 'phone' && k !== 'vars');
  if (extra !== undefined) return { field: extra, message: `property ${extra} should not exist` };
  if (typeof r.phone !== 'string') return { field: 'phone', message: 'phone must be a string' };
  const vars = r.vars;
  if (vars === undefined) return null;
  if (typeof vars !== 'object' || vars === null || Array.isArray(vars)) {
    return { field: 'vars', message: 'vars must be an object of names to values' };
  }
  const bad = Object.entries(vars).find(([, v]) => !VAR_VALUE(v));
  if (bad) {
    return { field: `vars.${bad[0]}`, message: 'a value must be a string, number or boolean' };
  }
  return null;
}

function refuse(status: number, code: string, what: string, details: ErrorDetail[]): never {
  throw new AppError(
    status,
    code,
    `${details.length} recipient(s) ${what}; nothing was queued`,
    details.slice(0, SHOWN),
  );
}

/**
 * Personalised bulk (CONTENT.md): checks every {phone, vars} row, renders its text and
 * counts its segments. Errors name the rows (first 100): bad shapes 400 VALIDATION_ERROR,
 * bad numbers 400 INVALID_PHONE_FORMAT, placeholders without values 400 MISSING_FIELDS, a
 * rendered text that cannot be sent its own code (CONTENT_TOO_LONG, VALIDATION_ERROR).
 * Duplicate numbers are sent once, with the first row's values.
 */
export function personalise(
  rows: readonly Record<string, unknown>[],
  template: ParsedTemplate,
  source: string,
  deps: PersonaliseDeps,
): PersonalisedList {
  const shapes: ErrorDetail[] = [];
  const badPhones: ErrorDetail[] = [];
  const missing: MissingRow[] = [];
  const problems = new Map<string, { status: number; details: ErrorDetail[] }>();
  const seen = new Set<string>();
  // Each row is rendered as it is read and only its text kept (not its values): a bulk's
  // rows are then held once, as the parser left them. Its errors still come in the order
  // of the rules: shapes, numbers, missing values, then texts that cannot be sent.
  const out = emptyList();
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    const shape = shapeProblem(r);
    if (shape) {
      shapes.push({ field: `recipients[${i}].${shape.field}`, message: shape.message });
      continue;
    }
    const phone = deps.normalizePhone(r.phone as string);
    if (!phone.ok) {
      badPhones.push({ field: `recipients[${i}].phone`, value: r.phone, message: phone.message });
      continue;
    }
    const vars = normalizeVars(r.vars as Record<string, unknown> | undefined);
    const lacking = missingNames(template, vars);
    if (lacking.length > 0) missing.push({ index: i, phone: phone.e164, missing: lacking });
    if (seen.has(phone.e164)) {
      out.duplicatesRemoved++;
      continue;
    }
    seen.add(phone.e164);
    // Once any row is refused, no text is queued: rendering would be wasted.
    if (shapes.length + badPhones.length + missing.length > 0) continue;
    const text = render(template, vars);
    let info: ContentInfo;
    try {
      info = deps.checkContent(text);
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      const problem = problems.get(e.code) ?? { status: e.getStatus(), details: [] };
      problem.details.push({ field: `recipients[${i}]`, value: phone.e164, message: e.message });
      problems.set(e.code, problem);
      continue;
    }
    addRendered(out, phone.e164, text, source, info);
  }
  if (shapes.length > 0) refuse(400, 'VALIDATION_ERROR', 'are malformed', shapes);
  if (badPhones.length > 0) refuse(400, 'INVALID_PHONE_FORMAT', 'have invalid numbers', badPhones);
  if (missing.length > 0) throw missingFieldsError(missing);
  for (const [code, { status, details }] of problems) {
    refuse(status, code, 'have a rendered text that cannot be sent', details);
  }
  return out;
}
