// The server's own normaliser (libphonenumber-js), bundled as is: the page checks each number
// exactly as POST /api/sms/send-bulk will, before anything is sent.
import { normalizePhone } from '../../src/messages/phone-numbers.js';

export interface RecipientEntry {
  /** 1-based line in the text area. */
  line: number;
  /** As typed, trimmed and unquoted: this is what is sent (the server normalises it again). */
  raw: string;
}

export interface RecipientCheck {
  /** Every entry to send, in order; the server's `recipients[i]` errors point into it. */
  entries: RecipientEntry[];
  /** Distinct numbers that are valid E.164 numbers. */
  valid: number;
  /** Entries that repeat an earlier number (sent once). */
  duplicates: number;
  invalid: (RecipientEntry & { message: string })[];
  /** Numbers without a country code: only a server with SMS_DEFAULT_COUNTRY accepts them. */
  national: RecipientEntry[];
  /** A first line without any digit, taken as a CSV column header and skipped. */
  header: string | null;
}

// Any country for now: the server applies its own SMS_ALLOWED_COUNTRIES / SMS_DEFAULT_COUNTRY.
const POLICY = { allowedCountries: [] };
const CELL_SEPARATORS = /[,;\t]/;
const QUOTED = /^(["'])(.*)\1$/;
const LOCAL_NUMBER = /^[\d\s().-]+$/;

/**
 * Reads the recipients box: one number per line, or a column pasted from a spreadsheet or CSV
 * (quotes stripped, a header line skipped; several cells on a line are taken one by one).
 */
export function checkRecipients(text: string): RecipientCheck {
  const result: RecipientCheck = {
    entries: [],
    valid: 0,
    duplicates: 0,
    invalid: [],
    national: [],
    header: null,
  };
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  let first = true;
  for (let i = 0; i < lines.length; i++) {
    for (const cell of lines[i].split(CELL_SEPARATORS)) {
      const raw = cell.trim().replace(QUOTED, '$2').trim();
      if (!raw) continue;
      if (first && !/\d/.test(raw)) {
        result.header = raw;
        first = false;
        continue;
      }
      first = false;
      const entry = { line: i + 1, raw };
      result.entries.push(entry);
      const phone = normalizePhone(raw, POLICY);
      if (phone.ok) {
        if (seen.has(phone.e164)) result.duplicates++;
        else {
          seen.add(phone.e164);
          result.valid++;
        }
      } else if (!raw.startsWith('+') && LOCAL_NUMBER.test(raw)) {
        result.national.push(entry);
      } else {
        result.invalid.push({ ...entry, message: phone.message });
      }
    }
  }
  return result;
}
