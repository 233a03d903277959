/** Characters a quoted element of a PostgreSQL array literal escapes with a backslash. */
const SPECIAL = /["\\]/;
const SPECIALS = /["\\]/g;

/**
 * A text[] literal of `items` (`{"a","b"}`) made by one join. node-postgres writes an array
 * parameter by appending element after element: for a 100 000-recipient job some 30 MB of
 * intermediate strings, outliving young-generation collections, for every array. A null
 * becomes "" (an empty string), so this is only for columns that never hold one, read back
 * with NULLIF(x, '').
 */
export function textArrayLiteral(items: readonly (string | number | null)[]): string {
  if (items.length === 0) return '{}';
  const escaped = items.some((s) => typeof s === 'string' && SPECIAL.test(s))
    ? items.map((s) => (typeof s === 'string' ? s.replace(SPECIALS, '\\$&') : s))
    : items;
  // join writes null as ''.
  return `{"${escaped.join('","')}"}`;
}
