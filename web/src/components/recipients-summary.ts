import { h } from '../dom.js';
import { count } from '../format.js';
import type { RecipientCheck } from '../recipients.js';

/** Invalid numbers listed at most (the form's own check before sending uses it too). */
export const MAX_LISTED = 20;

/** The live check under the recipients box: counts, then the invalid lines. */
export function recipientsSummary(check: RecipientCheck): HTMLElement[] {
  const out: HTMLElement[] = [];
  const bits = [`${count(check.valid)} valid number${check.valid === 1 ? '' : 's'}`];
  if (check.duplicates) bits.push(`${check.duplicates} duplicate(s), sent once`);
  if (check.national.length) bits.push(`${check.national.length} without country code`);
  if (check.invalid.length) bits.push(`${check.invalid.length} invalid`);
  if (check.header) bits.push(`header “${check.header}” skipped`);
  out.push(h('p', { class: check.invalid.length ? 'check-bad' : 'check-ok' }, bits.join(' · ')));
  if (check.invalid.length) {
    out.push(
      h(
        'ul',
        { class: 'check-list' },
        check.invalid
          .slice(0, MAX_LISTED)
          .map((i) => h('li', null, `Line ${i.line}: “${i.raw}” ${i.message}`)),
        check.invalid.length > MAX_LISTED &&
          h('li', null, `… and ${check.invalid.length - MAX_LISTED} more`),
      ),
    );
  }
  if (check.national.length) {
    out.push(
      h(
        'p',
        { class: 'check-warn' },
        `Numbers without “+” and a country code (line ${check.national
          .slice(0, 5)
          .map((n) => n.line)
          .join(
            ', ',
          )}${check.national.length > 5 ? ', …' : ''}) are accepted only if the server has a default country.`,
      ),
    );
  }
  return out;
}
