export type SmsEncoding = 'gsm7' | 'ucs2';

export interface ContentInfo {
  encoding: SmsEncoding;
  /** GSM-7 septets (extension characters count 2) or UTF-16 code units for UCS-2. */
  units: number;
  /** 0 only for empty text. */
  segments: number;
  /** 160/153 for gsm7, 70/67 for ucs2 (single vs multipart). */
  perSegment: number;
  remainingInSegment: number;
}

// Multipart messages lose room to the 6-byte user data header (UDH) in every part.
const GSM_SINGLE = 160;
const GSM_PART = 153;
const UCS2_SINGLE = 70;
const UCS2_PART = 67;

// GSM 03.38 default alphabet minus ESC (0x1B), which only introduces the extension table.
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
// Sent as ESC + character, hence two septets each.
const GSM_EXTENSION = '\f^{}\\[~]|€';

// Indexed by UTF-16 code unit: septet cost, 0 when not in GSM-7. A typed array beats a Set
// lookup on this hot path, and every GSM character (highest: € U+20AC) fits in 8 KiB.
const GSM_COST = buildCostTable();

function buildCostTable(): Uint8Array {
  const table = new Uint8Array('€'.charCodeAt(0) + 1);
  for (let i = 0; i < GSM_BASIC.length; i++) table[GSM_BASIC.charCodeAt(i)] = 1;
  for (let i = 0; i < GSM_EXTENSION.length; i++) table[GSM_EXTENSION.charCodeAt(i)] = 2;
  return table;
}

/**
 * Works out how the text would be sent. Multipart counts come from packing parts the way the
 * handset/SMSC must (an ESC + char pair or a surrogate pair is never split across parts), so
 * they can exceed the naive ceil(units / perSegment).
 */
export function analyzeContent(text: string): ContentInfo {
  const length = text.length;
  let gsm = true;
  let septets = 0;
  // Both packings run side by side so one pass suffices whichever encoding the text ends up in.
  let gsmParts = 1;
  let gsmUsed = 0;
  let ucs2Parts = 1;
  let ucs2Used = 0;

  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (gsm) {
      const cost = code < GSM_COST.length ? GSM_COST[code] : 0;
      if (cost === 0) {
        gsm = false;
      } else {
        septets += cost;
        if (gsmUsed + cost > GSM_PART) {
          gsmParts++;
          gsmUsed = cost;
        } else {
          gsmUsed += cost;
        }
      }
    }

    let width = 1;
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1); // NaN past the end, which fails the range test
      if (next >= 0xdc00 && next <= 0xdfff) {
        width = 2;
        i++;
      }
    }
    if (ucs2Used + width > UCS2_PART) {
      ucs2Parts++;
      ucs2Used = width;
    } else {
      ucs2Used += width;
    }
  }

  if (length === 0) return info('gsm7', 0, 0, GSM_SINGLE, GSM_SINGLE);
  if (gsm) {
    return septets <= GSM_SINGLE
      ? info('gsm7', septets, 1, GSM_SINGLE, GSM_SINGLE - septets)
      : info('gsm7', septets, gsmParts, GSM_PART, GSM_PART - gsmUsed);
  }
  return length <= UCS2_SINGLE
    ? info('ucs2', length, 1, UCS2_SINGLE, UCS2_SINGLE - length)
    : info('ucs2', length, ucs2Parts, UCS2_PART, UCS2_PART - ucs2Used);
}

function info(
  encoding: SmsEncoding,
  units: number,
  segments: number,
  perSegment: number,
  remainingInSegment: number,
): ContentInfo {
  return { encoding, units, segments, perSegment, remainingInSegment };
}
