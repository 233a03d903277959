import type { SmsEncoding } from './sms-encoding.js';

export type JobStatus = 'pending' | 'sending' | 'completed' | 'partial' | 'failed' | 'cancelled';
export const JOB_STATUSES: JobStatus[] = [
  'pending',
  'sending',
  'completed',
  'partial',
  'failed',
  'cancelled',
];
export const UNFINISHED: JobStatus[] = ['pending', 'sending'];

export type RecipientStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'cancelled';
export const RECIPIENT_STATUSES: RecipientStatus[] = [
  'pending',
  'sending',
  'sent',
  'failed',
  'cancelled',
];

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
  duplicates_removed: number;
  created_at: Date;
  started_at: Date | null;
  last_sent_at: Date | null;
  completed_at: Date | null;
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
}

export const pendingCount = (m: MessageRow) =>
  m.recipient_count - m.sent_count - m.failed_count - m.cancelled_count;
