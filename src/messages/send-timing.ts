import { AppError } from '../common/app-error.js';
import {
  isOpen,
  nextClosing,
  nextOpening,
  parseHhMm,
  type SendWindow,
  windowProblem,
} from '../scheduling/send-window.js';
import type { SendWindowDto } from './dto/send-sms.dto.js';

/** When a job's SMS may go: its send_at, its send window, and whether they start held. */
export interface SendTiming {
  /** As the request gave it; null when none. */
  sendAt: Date | null;
  /** Its send_at is ahead: the job is `scheduled` until then. */
  scheduled: boolean;
  /** Its SMS are held until then (send_at ahead, or its window closed now); null: not held. */
  holdUntil: Date | null;
  window: SendWindow | null;
  /** When the open window closes, for a job that starts sending at once. */
  windowClosesAt: Date | null;
}

/**
 * The job's send window: the request's, the server default (SMS_SEND_WINDOW) when it gives
 * none, or none at all when it says `send_window: null`.
 */
export function windowOf(
  requested: SendWindowDto | null | undefined,
  fallback: SendWindow | null,
): SendWindow | null {
  if (requested === null) return null;
  if (requested === undefined) return fallback;
  const problem = windowProblem(requested.start, requested.end, requested.time_zone);
  if (problem) {
    throw new AppError(400, 'VALIDATION_ERROR', `send_window: ${problem}`, [
      { field: 'send_window', value: requested, message: problem },
    ]);
  }
  return {
    start: parseHhMm(requested.start)!,
    end: parseHhMm(requested.end)!,
    timeZone: requested.time_zone,
  };
}

/**
 * A scheduled job is held until its send_at (the window is checked at release); otherwise a
 * job whose window is closed now is held until it opens, and one whose window is open sends
 * at once until that opening closes.
 */
export function timingOf(sendAt: Date | null, window: SendWindow | null, now: number): SendTiming {
  const scheduled = sendAt !== null && sendAt.getTime() > now;
  const none = { sendAt, scheduled, window, windowClosesAt: null };
  if (scheduled) return { ...none, holdUntil: sendAt };
  if (!window) return { ...none, holdUntil: null };
  if (!isOpen(window, now)) return { ...none, holdUntil: new Date(nextOpening(window, now)) };
  return { ...none, holdUntil: null, windowClosesAt: new Date(nextClosing(window, now)) };
}
