/**
 * `{{name}}` placeholders (CONTENT.md): a letter or `_`, then up to 63 letters, digits or
 * `_`, matched without regard to case. Pure functions: parsing a template's text and
 * rendering it with one recipient's values.
 */
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** A literal run of text, or a placeholder (its name lower-cased: names ignore case). */
export type Part = { text: string } | { name: string };

export interface ParsedTemplate {
  parts: Part[];
  /** Each placeholder once, as first written, in order of first use. */
  placeholders: string[];
}

export class PlaceholderError extends Error {
  constructor(
    message: string,
    /** 0-based index into the text where the problem starts. */
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
  }
}

/**
 * Splits `text` into literal runs and placeholders. `{{` must be closed by `}}` around a
 * valid name (spaces inside the braces are allowed); a `}}` with no `{{` before it is an
 * error too. Single braces are plain text.
 */
export function parseTemplate(text: string): ParsedTemplate {
  const parts: Part[] = [];
  const seen = new Map<string, string>();
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    const strayClose = text.indexOf('}}', i);
    if (strayClose !== -1 && (open === -1 || strayClose < open)) {
      throw new PlaceholderError('"}}" without an opening "{{"', strayClose);
    }
    if (open === -1) {
      literal += text.slice(i);
      break;
    }
    literal += text.slice(i, open);
    const close = text.indexOf('}}', open + 2);
    const nextOpen = text.indexOf('{{', open + 2);
    if (close === -1 || (nextOpen !== -1 && nextOpen < close)) {
      throw new PlaceholderError('"{{" without a closing "}}"', open);
    }
    const raw = text.slice(open + 2, close).trim();
    if (!NAME.test(raw)) {
      throw new PlaceholderError(
        `invalid placeholder name "${raw.slice(0, 70)}" (a letter or _, then up to 63 letters, digits or _)`,
        open,
      );
    }
    if (literal) parts.push({ text: literal });
    literal = '';
    const key = raw.toLowerCase();
    if (!seen.has(key)) seen.set(key, raw);
    parts.push({ name: key });
    i = close + 2;
  }
  if (literal) parts.push({ text: literal });
  return { parts, placeholders: [...seen.values()] };
}

/** Values by lower-cased name (names ignore case). */
export function normalizeVars(vars: Record<string, unknown> | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(vars ?? {})) {
    if (v === null || v === undefined) continue;
    out.set(k.toLowerCase(), String(v));
  }
  return out;
}

/** The placeholders of `t` without a value in `vars` (lower-cased, each once). */
export function missingNames(t: ParsedTemplate, vars: Map<string, string>): string[] {
  return t.placeholders.map((p) => p.toLowerCase()).filter((p) => !vars.has(p));
}

/** The text with every placeholder replaced by its value (missing ones: empty). */
export function render(t: ParsedTemplate, vars: Map<string, string>): string {
  let out = '';
  for (const p of t.parts) out += 'text' in p ? p.text : (vars.get(p.name) ?? '');
  return out;
}
