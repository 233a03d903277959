// Possible lengths are the same in every metadata bundle; /max is chosen because the allow-list
// relies on telling apart countries sharing a calling code (+1 US/CA/JM…, +44 GB/GG/JE/IM), and
// only the full number-range patterns make that detection match Google's libphonenumber.
import {
  isSupportedCountry,
  parsePhoneNumberWithError,
  ParseError,
  type CountryCode,
  type PhoneNumber,
} from 'libphonenumber-js/max';
import { quickE164 } from './phone-fast-path.js';

/** ISO 3166 alpha-2 codes such as 'HK'; an empty `allowedCountries` allows every country. */
export interface PhonePolicy {
  allowedCountries: string[];
  defaultCountry?: string;
}

/** `country` is known when the calling code has one country, or when an allow-list asked. */
export type PhoneResult =
  { ok: true; e164: string; country?: string } | { ok: false; message: string };

export interface RecipientList {
  /** E.164, first occurrence order kept, duplicates removed. */
  valid: string[];
  /** Every bad entry; `index` points into the input. */
  invalid: { index: number; value: unknown; message: string }[];
  duplicatesRemoved: number;
}

// Generous for any formatted E.164 number, yet caps the work spent on junk input.
const MAX_INPUT_LENGTH = 32;
const SEPARATORS = /[\s().-]/g;
const DIGITS_WITH_OPTIONAL_PLUS = /^\+?\d+$/;
const PLUS = 0x2b;

// Failures that do not depend on the input are shared, so bad bulk entries allocate nothing.
const fail = (message: string): PhoneResult => Object.freeze({ ok: false, message });
const EMPTY = fail('must not be empty');
const TOO_MANY_CHARS = fail(`must be at most ${MAX_INPUT_LENGTH} characters`);
const BAD_CHARS = fail(
  'may contain only digits, a leading +, spaces, dashes, dots and parentheses',
);
const NOT_E164 = fail('must be in E.164 format, e.g. +85291234567');
const PARSE_FAILURES: Readonly<Record<string, PhoneResult>> = {
  INVALID_COUNTRY: fail('has an unknown country calling code'),
  TOO_SHORT: fail('is too short to be a phone number'),
  TOO_LONG: fail('is too long to be a phone number'),
};
const NOT_A_NUMBER = fail('is not a phone number');

// `extract: false`: the whole (already sanitised) string is the number; no hunting inside it.
const INTERNATIONAL = { extract: false } as const;

interface CompiledPolicy {
  allowed: ReadonlySet<string> | null;
  /** Parse options for numbers without `+`, or the failure to report for them. */
  national: { defaultCountry: CountryCode; extract: false } | PhoneResult;
}

function compile(policy: PhonePolicy): CompiledPolicy {
  const { allowedCountries, defaultCountry } = policy;
  let national: CompiledPolicy['national'] = NOT_E164;
  if (defaultCountry) {
    national = isSupportedCountry(defaultCountry)
      ? { defaultCountry, extract: false }
      : fail(`default country ${defaultCountry} is not supported`);
  }
  return { allowed: allowedCountries.length > 0 ? new Set(allowedCountries) : null, national };
}

export function normalizePhone(input: unknown, policy: PhonePolicy): PhoneResult {
  return normalize(input, compile(policy));
}

export function normalizeRecipients(
  inputs: readonly unknown[],
  policy: PhonePolicy,
): RecipientList {
  const compiled = compile(policy);
  const valid: string[] = [];
  const invalid: RecipientList['invalid'] = [];
  const seen = new Set<string>();
  let duplicatesRemoved = 0;

  for (let index = 0; index < inputs.length; index++) {
    const value = inputs[index];
    // An input identical to an accepted E.164 result normalises to itself: skip the parse.
    if (typeof value === 'string' && seen.has(value)) {
      duplicatesRemoved++;
      continue;
    }
    const result = normalize(value, compiled);
    if (!result.ok) {
      invalid.push({ index, value, message: result.message });
    } else if (seen.has(result.e164)) {
      duplicatesRemoved++;
    } else {
      seen.add(result.e164);
      valid.push(result.e164);
    }
  }
  return { valid, invalid, duplicatesRemoved };
}

function normalize(input: unknown, policy: CompiledPolicy): PhoneResult {
  if (typeof input !== 'string') {
    return fail(`must be a string in E.164 format, got ${describeType(input)}`);
  }
  if (input.length > MAX_INPUT_LENGTH) return TOO_MANY_CHARS;
  // Clean input (the common case for API clients) skips the replace and its new string.
  const compact = DIGITS_WITH_OPTIONAL_PLUS.test(input) ? input : input.replace(SEPARATORS, '');
  if (compact.length === 0) return EMPTY;
  // Checked here because the library would otherwise pick a number out of arbitrary text.
  if (!DIGITS_WITH_OPTIONAL_PLUS.test(compact)) return BAD_CHARS;

  let parsed: PhoneNumber | PhoneResult;
  if (compact.charCodeAt(0) === PLUS) {
    const quick = quickE164(compact, policy.allowed);
    if (quick) return { ok: true, ...quick };
    parsed = parse(compact, INTERNATIONAL);
  } else if ('ok' in policy.national) {
    return policy.national;
  } else {
    parsed = parse(compact, policy.national);
  }
  if ('ok' in parsed) return parsed;
  const phone = parsed;

  const country = phone.country;
  if (country !== undefined && policy.allowed !== null && !policy.allowed.has(country)) {
    return fail(`country ${country} is not allowed`);
  }
  if (!phone.isPossible()) {
    return fail(
      `not a possible phone number length for ${country ?? `+${phone.countryCallingCode}`}`,
    );
  }
  // Shared calling codes leave ranges no country claims; they cannot pass an allow-list.
  if (country === undefined && policy.allowed !== null) {
    return fail(`country of this +${phone.countryCallingCode} number could not be determined`);
  }
  return { ok: true, e164: phone.number, country };
}

function parse(
  text: string,
  options: { defaultCountry?: CountryCode; extract: false },
): PhoneNumber | PhoneResult {
  try {
    return parsePhoneNumberWithError(text, options);
  } catch (error) {
    if (error instanceof ParseError) return PARSE_FAILURES[error.message] ?? NOT_A_NUMBER;
    throw error;
  }
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}
