import { DateTime, IANAZone } from 'luxon';

/**
 * A daily send window (SCHEDULING.md, quiet hours): SMS go out only from `start` to `end`,
 * local time in `timeZone`; `start` after `end` wraps midnight (21:00-08:00). Minutes of the
 * day, so 08:30 is 510. Local times are turned into instants by luxon with the IANA
 * database, so daylight-saving changes are the library's, not ours: an opening that falls in
 * a spring-forward gap opens when the clocks have jumped.
 */
export interface SendWindow {
  start: number;
  end: number;
  timeZone: string;
}

/** The window kept in a messages row (window_start, window_end, window_tz; all null: none). */
export interface WindowColumns {
  window_start: number | null;
  window_end: number | null;
  window_tz: string | null;
}

export const windowOfRow = (r: WindowColumns): SendWindow | null =>
  r.window_tz === null
    ? null
    : { start: r.window_start!, end: r.window_end!, timeZone: r.window_tz };

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Minutes of the day of "HH:MM", or null when it is not one. */
export function parseHhMm(text: string): number | null {
  const m = HH_MM.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

export const formatHhMm = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

export const isTimeZone = (name: string) => IANAZone.isValidZone(name);

/** Why a window is not valid, or null. */
export function windowProblem(start: string, end: string, timeZone: string): string | null {
  const s = parseHhMm(start);
  const e = parseHhMm(end);
  if (s === null || e === null) return 'start and end must be HH:MM (00:00 to 23:59)';
  if (s === e) return 'start and end must differ (a window of no time never opens)';
  if (!isTimeZone(timeZone)) return `${timeZone} is not an IANA time zone`;
  return null;
}

/** `SMS_SEND_WINDOW`: "HH:MM-HH:MM <IANA zone>", e.g. "09:00-21:00 Asia/Hong_Kong". */
export function parseWindowSpec(text: string): SendWindow {
  const parts = splitWindowSpec(text);
  const problem = parts
    ? windowProblem(parts.start, parts.end, parts.time_zone)
    : 'expected "HH:MM-HH:MM <IANA zone>"';
  if (problem || !parts) throw new Error(`SMS_SEND_WINDOW "${text}": ${problem}`);
  return { start: parseHhMm(parts.start)!, end: parseHhMm(parts.end)!, timeZone: parts.time_zone };
}

/** The parts of "HH:MM-HH:MM <zone>" as a request gives them (unchecked); null: not that form. */
export function splitWindowSpec(
  text: string,
): { start: string; end: string; time_zone: string } | null {
  const m = /^\s*(\d\d:\d\d)\s*-\s*(\d\d:\d\d)\s+(\S+)\s*$/.exec(text);
  return m ? { start: m[1], end: m[2], time_zone: m[3] } : null;
}

const local = (w: SendWindow, at: number) => DateTime.fromMillis(at, { zone: w.timeZone });
const minuteOfDay = (d: DateTime) => d.hour * 60 + d.minute + d.second / 60 + d.millisecond / 60000;

/**
 * The instant of `minutes` on the local day of `day` plus `addDays`. A time the clocks skip
 * (spring forward) is reached when they land after the jump: luxon moves such a time on by
 * the gap, so it is moved back to where the jump lands.
 */
function at(day: DateTime, addDays: number, minutes: number): number {
  const t = day
    .startOf('day')
    .plus({ days: addDays })
    .set({ hour: Math.floor(minutes / 60), minute: minutes % 60 });
  const overshoot = t.hour * 60 + t.minute - minutes;
  if (overshoot <= 0) return t.toMillis();
  // The jump lies within `overshoot` minutes before; offsets change on whole minutes.
  let landed = t.toMillis();
  for (let i = 1; i <= overshoot; i++) {
    const earlier = t.toMillis() - i * 60_000;
    if (minuteOfDay(DateTime.fromMillis(earlier, { zone: t.zone })) < minutes) break;
    landed = earlier;
  }
  return landed;
}

export function isOpen(w: SendWindow, instant: number): boolean {
  const m = minuteOfDay(local(w, instant));
  return w.start < w.end ? m >= w.start && m < w.end : m >= w.start || m < w.end;
}

/** The first instant at or after `instant` when the window is open. */
export function nextOpening(w: SendWindow, instant: number): number {
  if (isOpen(w, instant)) return instant;
  const d = local(w, instant);
  // Closed: before today's start, or (a window within the day) after today's end.
  const today = at(d, 0, w.start);
  return today > instant ? today : at(d, 1, w.start);
}

/** When the opening that contains `instant` (or the next one) closes. */
export function nextClosing(w: SendWindow, instant: number): number {
  const open = nextOpening(w, instant);
  const d = local(w, open);
  const today = at(d, 0, w.end);
  return today > open ? today : at(d, 1, w.end);
}

/**
 * When `needMs` of open time, starting at `from`, has passed: a job that cannot finish before
 * the window closes finishes in a later opening (estimates include the closed hours).
 */
export function finishAfter(w: SendWindow, from: number, needMs: number): number {
  let cursor = from;
  let need = Math.max(0, needMs);
  // A year of daily openings bounds the walk; estimates beyond that are not meaningful.
  for (let i = 0; i < 400; i++) {
    const open = nextOpening(w, cursor);
    const close = nextClosing(w, open);
    if (open + need <= close) return open + need;
    need -= close - open;
    cursor = close;
  }
  return cursor + need;
}
