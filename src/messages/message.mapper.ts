import type { JobEstimate } from '../status/eta.js';
import {
  AcceptedSmsDto,
  MessageDetailDto,
  MessageSummaryDto,
  RecipientDto,
} from './dto/message.dto.js';
import { MessageRow, pendingCount, RecipientRow } from './message-row.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function progressPercent(m: MessageRow): number {
  const done = m.sent_count + m.failed_count + m.cancelled_count;
  return Math.round((done / m.recipient_count) * 1000) / 10;
}

export function toAccepted(
  m: MessageRow,
  e: JobEstimate,
  extra: Partial<AcceptedSmsDto>,
): AcceptedSmsDto {
  return {
    id: m.id,
    status: m.status,
    job_status: m.job_status,
    ...extra,
    content: m.content,
    adhoc: m.adhoc,
    created_at: m.created_at.toISOString(),
    segments: m.segments,
    encoding: m.encoding,
    queue_position: e.queue_position,
    estimated_complete_at: e.estimated_complete_at,
  };
}

export function toSummary(m: MessageRow, e: JobEstimate): MessageSummaryDto {
  return {
    id: m.id,
    content: m.content,
    status: m.status,
    job_status: m.job_status,
    created_at: m.created_at.toISOString(),
    recipient_count: m.recipient_count,
    adhoc: m.adhoc,
    progress_percent: progressPercent(m),
    queue_position: e.queue_position,
    estimated_complete_at: e.estimated_complete_at,
    ...(m.owner_username !== undefined
      ? { user_id: m.user_id, owner_username: m.owner_username }
      : {}),
  };
}

export function toDetail(m: MessageRow, e: JobEstimate): MessageDetailDto {
  return {
    id: m.id,
    content: m.content,
    status: m.status,
    job_status: m.job_status,
    adhoc: m.adhoc,
    created_at: m.created_at.toISOString(),
    started_at: iso(m.started_at),
    sent_at: iso(m.last_sent_at),
    completed_at: iso(m.completed_at),
    recipient_count: m.recipient_count,
    success_count: m.sent_count,
    failed_count: m.failed_count,
    pending_count: pendingCount(m),
    cancelled_count: m.cancelled_count,
    duplicates_removed: m.duplicates_removed,
    progress_percent: progressPercent(m),
    segments: m.segments,
    encoding: m.encoding,
    queue_position: e.queue_position,
    estimated_complete_at: e.estimated_complete_at,
  };
}

export function toRecipient(r: RecipientRow): RecipientDto {
  return {
    id: Number(r.id),
    phone: r.phone,
    status: r.status,
    attempts: r.attempts,
    error_message: r.error_message,
    sent_at: iso(r.sent_at),
  };
}
