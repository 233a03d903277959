// The server's own segment counter, bundled as is: the page shows exactly what the API will
// compute for `segments` and `encoding`.
import { analyzeContent } from '../../../src/messages/sms-encoding.js';
import { count } from '../format.js';

/** The API's default SMS_MAX_SEGMENTS: longer texts are refused unless the server allows more. */
const DEFAULT_MAX_SEGMENTS = 10;

/** The first character that forces UCS-2, to tell the user why their SMS got shorter. */
function firstUnicodeChar(text: string): string | null {
  for (const ch of text) if (analyzeContent(ch).encoding === 'ucs2') return ch;
  return null;
}

export function contentSummary(text: string, recipients: number): { text: string; warn: boolean } {
  const info = analyzeContent(text);
  if (info.segments === 0) return { text: '0 characters', warn: false };
  const chars = [...text].length;
  const encoding =
    info.encoding === 'gsm7'
      ? 'GSM-7'
      : `UCS-2 (Unicode${firstUnicodeChar(text) ? `, because of “${firstUnicodeChar(text)}”` : ''})`;
  const parts = `${info.segments} SMS part${info.segments === 1 ? '' : 's'}`;
  const total =
    recipients > 1
      ? ` × ${count(recipients)} recipients = ${count(info.segments * recipients)} SMS`
      : '';
  const over =
    info.segments > DEFAULT_MAX_SEGMENTS
      ? ` · over the usual limit of ${DEFAULT_MAX_SEGMENTS} parts`
      : '';
  return {
    text: `${count(chars)} characters · ${encoding} · ${parts}${total} · ${info.remainingInSegment} left in this part${over}`,
    warn: info.segments > DEFAULT_MAX_SEGMENTS,
  };
}
