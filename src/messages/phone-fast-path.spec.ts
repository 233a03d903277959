import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parsePhoneNumberWithError } from 'libphonenumber-js/max';
import metadata from 'libphonenumber-js/max/metadata';
import { quickE164 } from './phone-fast-path.js';

const CODES = Object.keys(
  (metadata as { country_calling_codes: Record<string, string[]> }).country_calling_codes,
);

/** The full parser's verdict, the oracle the shortcut must agree with. */
function slow(compact: string): { e164: string; country?: string } | undefined {
  try {
    const p = parsePhoneNumberWithError(compact, { extract: false });
    return p.isPossible() ? { e164: p.number, country: p.country } : undefined;
  } catch {
    return undefined;
  }
}

describe(quickE164.name, () => {
  it('takes the shortcut for ordinary numbers', () => {
    expect(quickE164('+85291234567', null)).toEqual({ e164: '+85291234567', country: 'HK' });
    expect(quickE164('+14155550123', null)).toEqual({ e164: '+14155550123', country: undefined });
    expect(quickE164('+85291234567', new Set(['HK']))).toEqual({
      e164: '+85291234567',
      country: 'HK',
    });
  });

  it('leaves the unsure cases to the full parser', () => {
    expect(quickE164('+8529123456789', null)).toBeUndefined(); // impossible length
    expect(quickE164('+85291234567', new Set(['GB']))).toBeUndefined(); // not allowed
    expect(quickE164('+447700900123', new Set(['GB']))).toBeUndefined(); // shared +44: country unknown
    expect(quickE164('+4407700900123', null)).toBeUndefined(); // national prefix after the code
    expect(quickE164('+80012345678', null)).toBeUndefined(); // non-geographic
  });

  it('accepts only what the full parser accepts, as the same E.164 number and country', () => {
    const number = fc
      .tuple(
        fc.constantFrom(...CODES),
        fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 14 }),
      )
      .map(([code, national]) => `+${code}${national}`);
    let shortcuts = 0;
    fc.assert(
      fc.property(number, (compact) => {
        const quick = quickE164(compact, null);
        if (quick === undefined) return;
        shortcuts++;
        const oracle = slow(compact);
        expect({ compact, quick: quick.e164 }).toEqual({ compact, quick: oracle?.e164 });
        if (quick.country !== undefined) expect(quick.country).toBe(oracle?.country);
      }),
      { numRuns: 20000 },
    );
    // The property is only worth something if the shortcut was actually taken often.
    expect(shortcuts).toBeGreaterThan(2000);
  });
});
