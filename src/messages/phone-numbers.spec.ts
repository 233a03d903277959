import { describe, expect, it } from '@jest/globals';
import { normalizePhone, normalizeRecipients, type PhonePolicy } from './phone-numbers.js';

const ANY: PhonePolicy = { allowedCountries: [] };
const HK_DEFAULT: PhonePolicy = { allowedCountries: [], defaultCountry: 'HK' };
const E164_HINT = 'must be in E.164 format, e.g. +85291234567';
const BAD_CHARS = 'may contain only digits, a leading +, spaces, dashes, dots and parentheses';

const ok = (e164: string, country?: string) => ({ ok: true, e164, country });
const bad = (message: string) => ({ ok: false, message });

describe(normalizePhone.name, () => {
  it.each([
    ['+85291234567', 'HK'], // mobile
    ['+85221234567', 'HK'], // fixed line
    ['+442079460000', 'GB'],
    ['+447400123456', 'GB'],
    ['+12025550123', 'US'],
    ['+14165550123', 'CA'],
  ])('accepts %s as a %s number', (input, country) => {
    expect(normalizePhone(input, ANY)).toMatchObject({ ok: true, e164: input });
    // The country is worked out where it matters: against an allow-list.
    expect(normalizePhone(input, { allowedCountries: [country] })).toEqual(ok(input, country));
  });

  it('accepts a non-geographic number without a country', () => {
    expect(normalizePhone('+80012345678', ANY)).toEqual(ok('+80012345678', undefined));
  });

  describe('formatting', () => {
    it.each([
      ['+852 9123 4567', '+85291234567'],
      ['+852-9123-4567', '+85291234567'],
      ['+852.9123.4567', '+85291234567'],
      ['(+852) 9123 4567', '+85291234567'],
      ['  +1 (202) 555-0123  ', '+12025550123'],
      ['+852\u00a09123\u00a04567', '+85291234567'], // non-breaking spaces from spreadsheets
      ['+85291234567\r\n', '+85291234567'], // CSV line ending
      ['+44 (0)20 7946 0000', '+442079460000'], // trunk prefix written in brackets
    ])('strips %j', (input, e164) => {
      expect(normalizePhone(input, ANY)).toMatchObject({ ok: true, e164 });
    });
  });

  describe('numbers without +', () => {
    it.each(['85291234567', '91234567', '0085291234567'])(
      'rejects %s when no default country is set',
      (input) => {
        expect(normalizePhone(input, ANY)).toEqual(bad(E164_HINT));
      },
    );

    it.each([
      ['9123 4567', HK_DEFAULT, ok('+85291234567', 'HK')],
      ['020 7946 0000', { allowedCountries: [], defaultCountry: 'GB' }, ok('+442079460000', 'GB')],
      ['07400 123456', { allowedCountries: [], defaultCountry: 'GB' }, ok('+447400123456', 'GB')],
      ['(202) 555-0123', { allowedCountries: [], defaultCountry: 'US' }, ok('+12025550123', 'US')],
    ])('parses %s as a national number of the default country', (input, policy, expected) => {
      expect(normalizePhone(input, policy)).toEqual(expected);
    });

    it('still reads a + number as international when a default country is set', () => {
      expect(normalizePhone('+12025550123', HK_DEFAULT)).toMatchObject({
        ok: true,
        e164: '+12025550123',
      });
    });

    it('checks national numbers for possible length too', () => {
      expect(normalizePhone('9123', HK_DEFAULT)).toEqual(
        bad('not a possible phone number length for HK'),
      );
    });

    it('reports an unsupported default country instead of guessing', () => {
      const policy = { allowedCountries: [], defaultCountry: 'ZZ' };
      expect(normalizePhone('91234567', policy)).toEqual(
        bad('default country ZZ is not supported'),
      );
      expect(normalizePhone('+85291234567', policy)).toMatchObject({ ok: true });
    });
  });

  describe('allowed countries', () => {
    const hkOnly = { allowedCountries: ['HK'] };

    it('accepts numbers of an allowed country', () => {
      expect(normalizePhone('+85291234567', hkOnly)).toEqual(ok('+85291234567', 'HK'));
    });

    it.each([
      ['+12025550123', hkOnly, 'US'],
      ['+442079460000', { allowedCountries: ['HK', 'US'] }, 'GB'],
      // +1 is shared: the country comes from the number range, not the calling code.
      ['+14165550123', { allowedCountries: ['US'] }, 'CA'],
      ['91234567', { allowedCountries: ['GB'], defaultCountry: 'HK' }, 'HK'],
    ])('rejects %s (%j) as %s', (input, policy, country) => {
      expect(normalizePhone(input, policy)).toEqual(bad(`country ${country} is not allowed`));
    });

    it('rejects numbers whose country cannot be determined when a list is set', () => {
      const usOnly = { allowedCountries: ['US'] };
      expect(normalizePhone('+15555550123', usOnly)).toEqual(
        bad('country of this +1 number could not be determined'),
      );
      expect(normalizePhone('+80012345678', usOnly)).toEqual(
        bad('country of this +800 number could not be determined'),
      );
      expect(normalizePhone('+15555550123', ANY)).toEqual(ok('+15555550123', undefined));
    });

    it('treats an empty list as all countries allowed', () => {
      expect(normalizePhone('+442079460000', ANY)).toMatchObject({
        ok: true,
        e164: '+442079460000',
      });
    });
  });

  describe('length', () => {
    it.each([
      ['+852 9123', 'HK'], // 4 digits
      ['+852 9123 4567 89', 'HK'], // 10 digits
      ['+852 9123 4567 8901', 'HK'], // 12 digits
      ['+81 3 1234', 'JP'],
      // Shared calling codes name a country only for numbers matching its ranges.
      ['+44 20 7946', '+44'],
      ['+1 202 555 012', '+1'],
      ['+1 202 555 01234', '+1'],
    ])('rejects %s as impossible for %s', (input, where) => {
      expect(normalizePhone(input, ANY)).toEqual(
        bad(`not a possible phone number length for ${where}`),
      );
    });

    it('rejects numbers too short or long to parse at all', () => {
      expect(normalizePhone('+8521', ANY)).toEqual(bad('is too short to be a phone number'));
      expect(normalizePhone('+852123456789012345678', ANY)).toEqual(
        bad('is too long to be a phone number'),
      );
    });

    it('rejects unknown calling codes', () => {
      expect(normalizePhone('+999123456', ANY)).toEqual(bad('has an unknown country calling code'));
      expect(normalizePhone('+0123456789', ANY)).toEqual(
        bad('has an unknown country calling code'),
      );
    });

    it('caps the raw input at 32 characters, formatting included', () => {
      expect(normalizePhone('+852 9123 4567'.padEnd(32), ANY)).toMatchObject({ ok: true });
      expect(normalizePhone('+852 9123 4567'.padEnd(33), ANY)).toEqual(
        bad('must be at most 32 characters'),
      );
      expect(normalizePhone('9'.repeat(10_000), ANY)).toEqual(bad('must be at most 32 characters'));
    });
  });

  describe('malformed input', () => {
    it.each([
      '+852 9123 456a',
      '+852 FLOWERS',
      '+852 9123 4567 ext 12',
      'tel:+85291234567',
      'call +85291234567',
      '+852/9123/4567',
      '+852+91234567',
      '85291234567+',
      '++85291234567',
      '+',
      '+８５２９１２３４５６７', // full-width digits
      '+852_9123_4567',
    ])('rejects %j', (input) => {
      expect(normalizePhone(input, HK_DEFAULT)).toEqual(bad(BAD_CHARS));
    });

    it.each(['', '   ', '()-.'])('rejects %j as empty', (input) => {
      expect(normalizePhone(input, HK_DEFAULT)).toEqual(bad('must not be empty'));
    });

    it.each([
      [85291234567, 'number'],
      [null, 'null'],
      [undefined, 'undefined'],
      [{ phone: '+85291234567' }, 'object'],
      [['+85291234567'], 'array'],
      [true, 'boolean'],
      [85291234567n, 'bigint'],
    ])('rejects %p as not a string', (input, type) => {
      expect(normalizePhone(input, HK_DEFAULT)).toEqual(
        bad(`must be a string in E.164 format, got ${type}`),
      );
    });

    it('hands out failures that callers cannot corrupt for later calls', () => {
      const first = normalizePhone('', ANY) as { message: string };
      expect(() => {
        first.message = 'changed';
      }).toThrow(TypeError);
      expect(normalizePhone('', ANY)).toEqual(bad('must not be empty'));
    });
  });
});

describe(normalizeRecipients.name, () => {
  it('returns nothing for no input', () => {
    expect(normalizeRecipients([], ANY)).toEqual({ valid: [], invalid: [], duplicatesRemoved: 0 });
  });

  it('keeps first-occurrence order, drops normalised duplicates and indexes every failure', () => {
    const badValue = { phone: '+85291234567' };
    const sut = normalizeRecipients(
      [
        '+85291234567',
        '+1 202 555 0123',
        '+852 9123 4567',
        'not a number',
        '9123-4567',
        badValue,
        '+447400123456',
        '+12025550123',
        'not a number',
        '+852 9123',
        '+85291234567',
      ],
      HK_DEFAULT,
    );
    expect(sut.valid).toEqual(['+85291234567', '+12025550123', '+447400123456']);
    expect(sut.duplicatesRemoved).toBe(4);
    expect(sut.invalid).toEqual([
      { index: 3, value: 'not a number', message: BAD_CHARS },
      {
        index: 5,
        value: badValue,
        message: 'must be a string in E.164 format, got object',
      },
      { index: 8, value: 'not a number', message: BAD_CHARS },
      { index: 9, value: '+852 9123', message: 'not a possible phone number length for HK' },
    ]);
    expect(sut.invalid[1].value).toBe(badValue);
  });

  it('applies the allowed countries to every entry', () => {
    const sut = normalizeRecipients(['+85291234567', '+12025550123', '+85291234568'], {
      allowedCountries: ['HK'],
    });
    expect(sut.valid).toEqual(['+85291234567', '+85291234568']);
    expect(sut.invalid).toEqual([
      { index: 1, value: '+12025550123', message: 'country US is not allowed' },
    ]);
  });

  it('does not count repeated invalid entries as duplicates', () => {
    const sut = normalizeRecipients([null, null, '+852 9123', '+852 9123'], ANY);
    expect(sut.duplicatesRemoved).toBe(0);
    expect(sut.invalid.map((entry) => entry.index)).toEqual([0, 1, 2, 3]);
  });

  it('handles 100 000 distinct numbers plus repeats', () => {
    const count = 100_000;
    const numbers = Array.from({ length: count }, (_, i) => {
      const digits = String(90_000_000 + i);
      // Mix clean and formatted input so both paths are exercised at volume.
      return i % 2 === 0 ? `+852${digits}` : `+852 ${digits.slice(0, 4)}-${digits.slice(4)}`;
    });
    const repeats = Array.from({ length: 1_000 }, (_, i) => `+852${90_000_000 + i * 100}`);
    const junk = ['+852', 'x', null];

    const sut = normalizeRecipients([...numbers, ...repeats, ...junk], ANY);

    expect(sut.valid).toHaveLength(count);
    expect(sut.valid[0]).toBe('+85290000000');
    expect(sut.valid[count - 1]).toBe('+85290099999');
    expect(new Set(sut.valid).size).toBe(count);
    expect(sut.duplicatesRemoved).toBe(1_000);
    expect(sut.invalid.map((entry) => entry.index)).toEqual([
      count + 1_000,
      count + 1_001,
      count + 1_002,
    ]);
  });
});
