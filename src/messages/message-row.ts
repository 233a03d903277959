import type { SmsEncoding } from './sms-encoding.js';
import type { DeliveryStatus, JobStatus, RecipientStatus } from './statuses.js';

// Re-exported for the modules that read rows and their statuses from here.
export type { JobStatus, RecipientStatus };

/** The columns of a MessageRow, for SELECT and RETURNING lists. */
export const MESSAGE_COLUMNS = `id, user_id, content, encoding, segments, adhoc, job_status, status,
  recipient_count, sent_count, failed_count, cancelled_count, expired_count, suppressed_count, duplicates_removed,
  created_at, started_at, last_sent_at, completed_at, send_at, valid_until,
  window_start, window_end, window_tz, resume_at, delivered_count, undelivered_count,
  template_id, template_version, personalised, total_segments`;

/** A messages row as the repository returns it (snake_case, as stored). */
export interface MessageRow {
  id: number;
  user_id: number | null;
  content: string;
  encoding: SmsEncoding;
  segments: number;
  adhoc: boolean;
  job_status: JobStatus;
  status: string;
  recipient_count: number;
  sent_count: number;
  failed_count: number;
  cancelled_count: number;
  expired_count: number;
  /** Recipients whose number is on the suppression list (CONTENT.md): final, never sent. */
  suppressed_count: number;
  duplicates_removed: number;
  created_at: Date;
  started_at: Date | null;
  last_sent_at: Date | null;
  completed_at: Date | null;
  valid_until: Date | null;
  /** When the request asked it to be sent (SCHEDULING.md); null when it did not. */
  send_at: Date | null;
  /** Its daily send window (all null: always): minutes of the day and an IANA zone. */
  window_start: number | null;
  window_end: number | null;
  window_tz: string | null;
  /** When its held SMS are released (send_at, or the window's next opening); null: none held. */
  resume_at: Date | null;
  /** Delivery receipts (WEBHOOKS.md). */
  delivered_count: number;
  undelivered_count: number;
  /** The template (and its version) it was made from (CONTENT.md); null: content given. */
  template_id: number | null;
  template_version: number | null;
  /** Each recipient rendered its own text (CONTENT.md); content is then the template text. */
  personalised: boolean;
  /** Personalised jobs: the sum of their recipients' segments; null: segments × recipients. */
  total_segments: number | null;
  /** Only in admin listings; null once the owner was deleted. */
  owner_username?: string | null;
}

export interface RecipientRow {
  id: string;
  phone: string;
  status: RecipientStatus;
  attempts: number;
  error_message: string | null;
  sent_at: Date | null;
  delivery_status: DeliveryStatus;
  delivered_at: Date | null;
  /** A personalised recipient's own text; null: the job's. */
  content: string | null;
}

export const pendingCount = (m: MessageRow) =>
  m.recipient_count -
  m.sent_count -
  m.failed_count -
  m.cancelled_count -
  m.expired_count -
  m.suppressed_count;

/** Segments the whole job takes (personalised: its recipients' sum). */
export const totalSegments = (m: MessageRow) => m.total_segments ?? m.segments * m.recipient_count;
