import { describe, expect, it } from '@jest/globals';
import { analyzeContent } from './sms-encoding.js';

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '\f^{}\\[~]|€';
const EMOJI = '😀'; // one code point, two UTF-16 code units
const a = (n: number) => 'a'.repeat(n);
const zh = (n: number) => '中'.repeat(n);

describe(analyzeContent.name, () => {
  describe('encoding choice', () => {
    it('treats empty text as zero GSM-7 segments', () => {
      expect(analyzeContent('')).toEqual({
        encoding: 'gsm7',
        units: 0,
        segments: 0,
        perSegment: 160,
        remainingInSegment: 160,
      });
    });

    it('keeps the whole GSM 03.38 basic set in GSM-7 at one septet each', () => {
      expect(GSM_BASIC).toHaveLength(127); // 128 minus ESC
      expect(analyzeContent(GSM_BASIC)).toMatchObject({ encoding: 'gsm7', units: 127 });
    });

    it('keeps the extension table in GSM-7 at two septets each', () => {
      expect(analyzeContent(GSM_EXTENSION)).toMatchObject({ encoding: 'gsm7', units: 20 });
      for (const ch of GSM_EXTENSION) {
        expect(analyzeContent(ch)).toMatchObject({ encoding: 'gsm7', units: 2 });
      }
    });

    it('counts newline and carriage return as plain GSM-7 characters', () => {
      expect(analyzeContent('Hi\r\nthere\n')).toEqual({
        encoding: 'gsm7',
        units: 10,
        segments: 1,
        perSegment: 160,
        remainingInSegment: 150,
      });
    });

    it.each([
      ['ç', 'lower-case c cedilla (only Ç is in GSM)'],
      ['’', 'typographic apostrophe'],
      ['\t', 'tab'],
      ['\x1b', 'a raw ESC'],
      ['α', 'lower-case Greek'],
      ['Á', 'A acute'],
    ])('switches to UCS-2 for %j (%s)', (ch) => {
      expect(analyzeContent(`plain ${ch}`)).toMatchObject({ encoding: 'ucs2', units: 7 });
    });

    it('counts Chinese text in UTF-16 code units', () => {
      expect(analyzeContent('你好，世界')).toEqual({
        encoding: 'ucs2',
        units: 5,
        segments: 1,
        perSegment: 70,
        remainingInSegment: 65,
      });
    });

    it('switches GSM text to UCS-2 for a single emoji, which costs two units', () => {
      expect(analyzeContent(`Hello ${EMOJI}`)).toEqual({
        encoding: 'ucs2',
        units: 8,
        segments: 1,
        perSegment: 70,
        remainingInSegment: 62,
      });
    });

    it('charges extension characters one unit, not two, once the text is UCS-2', () => {
      expect(analyzeContent('€[中')).toMatchObject({ encoding: 'ucs2', units: 3 });
    });

    it('counts lone surrogates as one unit each', () => {
      expect(analyzeContent('\ud83d')).toMatchObject({ encoding: 'ucs2', units: 1 });
      expect(analyzeContent('\ude00\ud83d')).toMatchObject({ encoding: 'ucs2', units: 2 });
    });
  });

  describe('GSM-7 segments', () => {
    it.each([
      [1, 1, 160, 159],
      [160, 1, 160, 0],
      [161, 2, 153, 145],
      [306, 2, 153, 0],
      [307, 3, 153, 152],
      [459, 3, 153, 0],
      [460, 4, 153, 152],
    ])('%i septets → %i segment(s) of %i, %i left', (n, segments, perSegment, remaining) => {
      expect(analyzeContent(a(n))).toEqual({
        encoding: 'gsm7',
        units: n,
        segments,
        perSegment,
        remainingInSegment: remaining,
      });
    });

    it('counts € double: 158 plain + € fits, 159 plain + € does not', () => {
      expect(analyzeContent(a(158) + '€')).toMatchObject({ units: 160, segments: 1 });
      expect(analyzeContent(a(159) + '€')).toMatchObject({
        units: 161,
        segments: 2,
        perSegment: 153,
        remainingInSegment: 145,
      });
    });

    it('counts [ double', () => {
      expect(analyzeContent('[' + a(158))).toMatchObject({ units: 160, segments: 1 });
      expect(analyzeContent('[' + a(159))).toMatchObject({ units: 161, segments: 2 });
    });

    it('moves an extension character that would straddle a part boundary to the next part', () => {
      // 306 septets fit two parts only if no ESC pair sits on septets 153/154.
      expect(analyzeContent(a(153) + '€' + a(151))).toMatchObject({
        units: 306,
        segments: 2,
        remainingInSegment: 0,
      });
      expect(analyzeContent(a(152) + '€' + a(152))).toMatchObject({
        units: 306,
        segments: 3,
        remainingInSegment: 152,
      });
    });

    it('reports room left in the last part after a straddle', () => {
      // Part 1 holds 152 septets, part 2 starts with the 2-septet ESC pair.
      expect(analyzeContent(a(152) + '€' + a(10))).toMatchObject({
        units: 164,
        segments: 2,
        remainingInSegment: 153 - 12,
      });
    });
  });

  describe('UCS-2 segments', () => {
    it.each([
      [1, 1, 70, 69],
      [70, 1, 70, 0],
      [71, 2, 67, 63],
      [134, 2, 67, 0],
      [135, 3, 67, 66],
    ])('%i code units → %i segment(s) of %i, %i left', (n, segments, perSegment, remaining) => {
      expect(analyzeContent(zh(n))).toEqual({
        encoding: 'ucs2',
        units: n,
        segments,
        perSegment,
        remainingInSegment: remaining,
      });
    });

    it('moves an emoji that would straddle a part boundary to the next part', () => {
      expect(analyzeContent(zh(65) + EMOJI + zh(67))).toMatchObject({
        units: 134,
        segments: 2,
        remainingInSegment: 0,
      });
      expect(analyzeContent(zh(66) + EMOJI + zh(66))).toMatchObject({
        units: 134,
        segments: 3,
        remainingInSegment: 66,
      });
    });

    it('lets one emoji turn a single GSM-7 segment into three UCS-2 parts', () => {
      expect(analyzeContent(a(160))).toMatchObject({ encoding: 'gsm7', segments: 1 });
      expect(analyzeContent(a(159) + EMOJI)).toEqual({
        encoding: 'ucs2',
        units: 161,
        segments: 3,
        perSegment: 67,
        remainingInSegment: 67 - 27,
      });
    });

    it('fits a text of only emoji at 35 per single part and 33 per multipart part', () => {
      expect(analyzeContent(EMOJI.repeat(35))).toMatchObject({ units: 70, segments: 1 });
      // 67 is odd, so each part carries 33 emoji and wastes one unit.
      expect(analyzeContent(EMOJI.repeat(66))).toMatchObject({
        units: 132,
        segments: 2,
        remainingInSegment: 1,
      });
      expect(analyzeContent(EMOJI.repeat(67))).toMatchObject({
        units: 134,
        segments: 3,
        remainingInSegment: 65,
      });
    });
  });
});
