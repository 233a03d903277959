import { AppError, validationError } from '../common/app-error.js';

/**
 * The two lanes of FAIRNESS.md. Every urgent SMS is taken before any normal one. Stored as
 * `messages.adhoc` (the old panel's flag) and `recipients.priority` (0 urgent, 1 normal).
 */
export const PRIORITIES = ['urgent', 'normal'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const priorityOf = (adhoc: boolean): Priority => (adhoc ? 'urgent' : 'normal');

/** The forbidden answer's message, also shown in the OpenAPI document. */
export const URGENT_FORBIDDEN =
  'This user may not send urgent SMS (adhoc / priority "urgent"); an admin can grant can_send_urgent';

/**
 * Whether a send request asks for the urgent lane. `adhoc` (old) and `priority` (new) say
 * the same thing two ways: either alone decides, both must agree.
 */
export function wantsUrgent(req: { adhoc?: boolean; priority?: Priority }): boolean {
  const fromAdhoc = req.adhoc === undefined ? undefined : priorityOf(req.adhoc);
  if (fromAdhoc !== undefined && req.priority !== undefined && fromAdhoc !== req.priority) {
    const message = `adhoc ${String(req.adhoc)} contradicts priority "${req.priority}": give one, or both with the same meaning`;
    throw validationError(message, [{ field: 'priority', value: req.priority, message }]);
  }
  return (req.priority ?? fromAdhoc) === 'urgent';
}

/** Refuses an urgent job from a caller without the right; nothing is queued then. */
export function checkUrgentAllowed(urgent: boolean, mayQueueUrgent: boolean): void {
  if (urgent && !mayQueueUrgent) throw new AppError(403, 'FORBIDDEN', URGENT_FORBIDDEN);
}
