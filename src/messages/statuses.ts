/**
 * The job and recipient statuses: the one list of each. The DTOs put them in the OpenAPI
 * document (and so in the dashboard's generated wire types), the query DTOs validate filters
 * with them, and the dashboard bundles this file for its filter menus, so it imports nothing.
 */

export const JOB_STATUSES = [
  'scheduled',
  'pending',
  'sending',
  'completed',
  'partial',
  'failed',
  'cancelled',
  'expired',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/**
 * Jobs not yet finished: they have estimates and can still be cancelled ('scheduled': waiting
 * for its send_at, SCHEDULING.md).
 */
export const UNFINISHED: readonly JobStatus[] = ['scheduled', 'pending', 'sending'];

/**
 * 'held': of a scheduled job, not claimable before its send_at. 'suppressed': its number is on
 * the suppression list (CONTENT.md), never sent; final.
 */
export const RECIPIENT_STATUSES = [
  'held',
  'pending',
  'sending',
  'sent',
  'failed',
  'cancelled',
  'expired',
  'suppressed',
] as const;
export type RecipientStatus = (typeof RECIPIENT_STATUSES)[number];

/** A job's `status` as the Flask predecessor named it, kept for its clients. */
export const LEGACY_STATUSES = ['pending', 'sent', 'partial', 'failed', 'cancelled'] as const;

/** What the gateway's delivery receipt said about an SMS (WEBHOOKS.md). */
export const DELIVERY_STATUSES = ['unknown', 'delivered', 'undelivered'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
