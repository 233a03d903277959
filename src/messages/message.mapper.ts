import { formatHhMm, windowOfRow } from '../scheduling/send-window.js';
import type { JobEstimate } from '../status/eta.js';
import {
  AcceptedSmsDto,
  MessageDetailDto,
  MessageSummaryDto,
  RecipientDto,
} from './dto/message.dto.js';
import { priorityOf } from './lanes.js';
import { MessageRow, pendingCount, RecipientRow, totalSegments } from './message-row.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** What every job answer has (JobFields): lane, timing, template, validity and estimates. */
function jobFields(m: MessageRow, e: JobEstimate) {
  const w = windowOfRow(m);
  return {
    adhoc: m.adhoc,
    priority: priorityOf(m.adhoc),
    send_at: iso(m.send_at),
    send_window: w && { start: formatHhMm(w.start), end: formatHhMm(w.end), time_zone: w.timeZone },
    next_window_at: e.next_window_at,
    template_id: m.template_id,
    template_version: m.template_version,
    personalised: m.personalised,
    suppressed_count: m.suppressed_count,
    total_segments: totalSegments(m),
    valid_until: iso(m.valid_until),
    queue_position: e.queue_position,
    estimated_start_at: e.estimated_start_at,
    estimated_complete_at: e.estimated_complete_at,
  };
}

export function progressPercent(m: MessageRow): number {
  const done =
    m.sent_count + m.failed_count + m.cancelled_count + m.expired_count + m.suppressed_count;
  return Math.round((done / m.recipient_count) * 1000) / 10;
}

export function toAccepted(
  m: MessageRow,
  e: JobEstimate,
  extra: Partial<AcceptedSmsDto>,
): AcceptedSmsDto {
  return {
    id: m.id,
    ...jobFields(m, e),
    status: m.status,
    job_status: m.job_status,
    ...extra,
    content: m.content,
    created_at: m.created_at.toISOString(),
    segments: m.segments,
    encoding: m.encoding,
  };
}

export function toSummary(m: MessageRow, e: JobEstimate): MessageSummaryDto {
  return {
    id: m.id,
    ...jobFields(m, e),
    content: m.content,
    status: m.status,
    job_status: m.job_status,
    created_at: m.created_at.toISOString(),
    recipient_count: m.recipient_count,
    progress_percent: progressPercent(m),
    ...(m.owner_username !== undefined
      ? { user_id: m.user_id, owner_username: m.owner_username }
      : {}),
  };
}

export function toDetail(m: MessageRow, e: JobEstimate): MessageDetailDto {
  return {
    id: m.id,
    ...jobFields(m, e),
    content: m.content,
    status: m.status,
    job_status: m.job_status,
    created_at: m.created_at.toISOString(),
    started_at: iso(m.started_at),
    sent_at: iso(m.last_sent_at),
    completed_at: iso(m.completed_at),
    recipient_count: m.recipient_count,
    success_count: m.sent_count,
    failed_count: m.failed_count,
    pending_count: pendingCount(m),
    cancelled_count: m.cancelled_count,
    expired_count: m.expired_count,
    delivered_count: m.delivered_count,
    undelivered_count: m.undelivered_count,
    duplicates_removed: m.duplicates_removed,
    progress_percent: progressPercent(m),
    segments: m.segments,
    encoding: m.encoding,
  };
}

/** A recipient; of a personalised job, with the text it is sent (`jobContent` where its own is null). */
export function toRecipient(r: RecipientRow, jobContent?: string): RecipientDto {
  return {
    ...(jobContent === undefined ? {} : { content: r.content ?? jobContent }),
    id: Number(r.id),
    phone: r.phone,
    status: r.status,
    attempts: r.attempts,
    error_message: r.error_message,
    sent_at: iso(r.sent_at),
    delivery_status: r.delivery_status,
    delivered_at: iso(r.delivered_at),
  };
}
