import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  DELIVERY_STATUSES,
  type DeliveryStatus,
  JOB_STATUSES,
  type JobStatus,
  LEGACY_STATUSES,
  RECIPIENT_STATUSES,
  type RecipientStatus,
} from '../statuses.js';
import { PRIORITIES, type Priority } from '../lanes.js';
import { SendWindowDto } from './send-sms.dto.js';

const ISO = '2026-11-28T10:00:00.000Z';

class EstimateFields {
  @ApiProperty({
    nullable: true,
    type: Number,
    example: 2,
    description:
      '1 + the unfinished jobs, of any user, that the fair order starts before this one; null while scheduled, and once sending or finished',
  })
  queue_position: number | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '2026-11-28T10:00:05.000Z',
    description:
      'When its first SMS is expected to go, by the fair share of the rate (a scheduled job: its send_at); null once sending or finished',
  })
  estimated_start_at: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '2026-11-28T10:00:30.000Z',
    description:
      'When the last recipient is expected to be sent (a scheduled job: send_at plus its own SMS at its fair share of the rate now); null once finished',
  })
  estimated_complete_at: string | null;
}

/**
 * What every job answer has: its estimates, its lane said both ways (`adhoc`, `priority`),
 * and when it was asked to be sent.
 */
class JobFields extends EstimateFields {
  @ApiProperty({
    nullable: true,
    type: String,
    example: '2026-11-28T10:30:00.000Z',
    description:
      'When the request asked it to be sent (UTC); null when it did not. While that is ahead the job is "scheduled".',
  })
  send_at: string | null;
  @ApiProperty({
    example: false,
    description: 'Urgent lane (the old panel\'s flag); same as priority "urgent"',
  })
  adhoc: boolean;
  @ApiProperty({
    enum: PRIORITIES,
    example: 'normal',
    description: 'Lane: every urgent SMS is sent before any normal one',
  })
  priority: Priority;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '2026-11-28T10:10:00.000Z',
    description:
      'No request starts after it; SMS still waiting then become expired. Null: no limit',
  })
  valid_until: string | null;
  @ApiProperty({
    type: () => SendWindowDto,
    nullable: true,
    description: 'Daily hours its SMS may go in (SCHEDULING.md); null: always',
  })
  send_window: SendWindowDto | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '2026-11-29T01:00:00.000Z',
    description: 'While its send window is closed: when it opens next; null otherwise',
  })
  next_window_at: string | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    example: 12,
    description:
      'The template it was made from (CONTENT.md); null when the request gave content. Later edits or a deletion of the template do not change the job',
  })
  template_id: number | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    example: 3,
    description: "That template's version when the job was made; null without a template",
  })
  template_version: number | null;
  @ApiProperty({
    example: false,
    description:
      'Each recipient was sent its own rendered text (recipients as {phone, vars}); content is then the template text',
  })
  personalised: boolean;
  @ApiProperty({
    example: 3,
    description:
      "Segments of the whole job: each recipient's rendered text counted (segments is the largest)",
  })
  total_segments: number;
  @ApiProperty({
    example: 0,
    description:
      'Recipients not sent because their number is on the suppression list (opt-out), at submission or when their SMS was taken; a final state, not an error',
  })
  suppressed_count: number;
}

export class AcceptedSmsDto extends JobFields {
  @ApiProperty({ example: 42 }) id: number;
  @ApiProperty({ enum: LEGACY_STATUSES, example: 'pending' }) status: string;
  @ApiProperty({ enum: JOB_STATUSES, example: 'pending' }) job_status: JobStatus;
  @ApiPropertyOptional({ example: '+85291234567', description: 'POST /api/sms only' })
  recipient?: string;
  @ApiPropertyOptional({
    example: 3,
    description: 'POST /api/sms/send-bulk only: recipients queued',
  })
  total?: number;
  @ApiPropertyOptional({ example: 0, description: 'send-bulk only' }) duplicates_removed?: number;
  @ApiProperty({ example: 'Office closed on Friday.' }) content: string;
  @ApiProperty({ example: ISO }) created_at: string;
  @ApiProperty({ example: 1 }) segments: number;
  @ApiProperty({ enum: ['gsm7', 'ucs2'], example: 'gsm7' }) encoding: string;
}

export class MessageSummaryDto extends JobFields {
  @ApiProperty({ example: 42 }) id: number;
  @ApiProperty({ example: 'Office closed on Friday.' }) content: string;
  @ApiProperty({ enum: LEGACY_STATUSES, example: 'pending' }) status: string;
  @ApiProperty({ enum: JOB_STATUSES, example: 'sending' }) job_status: JobStatus;
  @ApiProperty({ example: ISO }) created_at: string;
  @ApiProperty({ example: 3 }) recipient_count: number;
  @ApiProperty({ example: 33.3 }) progress_percent: number;
  @ApiPropertyOptional({
    nullable: true,
    type: Number,
    example: 7,
    description: 'Admin listing only',
  })
  user_id?: number | null;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    example: 'alice',
    description: 'Admin listing only; null when the owner was deleted',
  })
  owner_username?: string | null;
}

export class MessageListDto {
  @ApiProperty({ type: [MessageSummaryDto] }) messages: MessageSummaryDto[];
  @ApiProperty({ example: 57 }) total: number;
  @ApiProperty({ example: 3 }) pages: number;
  @ApiProperty({ example: 1 }) current_page: number;
}

export class MessageDetailDto extends JobFields {
  @ApiProperty({ example: 42 }) id: number;
  @ApiProperty({ example: 'Office closed on Friday.' }) content: string;
  @ApiProperty({ enum: LEGACY_STATUSES, example: 'pending' }) status: string;
  @ApiProperty({ enum: JOB_STATUSES, example: 'sending' }) job_status: JobStatus;
  @ApiProperty({ example: ISO }) created_at: string;
  @ApiProperty({
    nullable: true,
    type: String,
    example: ISO,
    description: 'When the first recipient was taken',
  })
  started_at: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: ISO,
    description: 'When the latest SMS of the job was sent',
  })
  sent_at: string | null;
  @ApiProperty({ nullable: true, type: String, example: null }) completed_at: string | null;
  @ApiProperty({ example: 3 }) recipient_count: number;
  @ApiProperty({ example: 1 }) success_count: number;
  @ApiProperty({ example: 0 }) failed_count: number;
  @ApiProperty({ example: 2, description: 'Waiting, retrying or in flight' }) pending_count: number;
  @ApiProperty({ example: 0 }) cancelled_count: number;
  @ApiProperty({ example: 0, description: 'Not sent: valid_until came first' })
  expired_count: number;
  @ApiProperty({ example: 1, description: "Handset reached, by the gateway's delivery receipts" })
  delivered_count: number;
  @ApiProperty({ example: 0, description: "Not delivered, by the gateway's delivery receipts" })
  undelivered_count: number;
  @ApiProperty({ example: 0 }) duplicates_removed: number;
  @ApiProperty({ example: 33.3, description: 'Recipients in a final state, percent' })
  progress_percent: number;
  @ApiProperty({ example: 1 }) segments: number;
  @ApiProperty({ enum: ['gsm7', 'ucs2'], example: 'gsm7' }) encoding: string;
}

export class DeadLetterDto {
  @ApiProperty({ example: 1001 }) id: number;
  @ApiProperty({ example: 42 }) message_id: number;
  @ApiProperty({ example: '+85291234567' }) phone: string;
  @ApiProperty({ example: 3 }) attempts: number;
  @ApiProperty({ nullable: true, type: String, example: 'HTTP 400: invalid destination' })
  error_message: string | null;
  @ApiProperty({ example: ISO }) failed_at: string;
  @ApiProperty({ nullable: true, type: Number, example: 7 }) owner_id: number | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'alice',
    description: 'null when the owner was deleted',
  })
  owner_username: string | null;
}

export class DeadLetterListDto {
  @ApiProperty({ type: [DeadLetterDto] }) recipients: DeadLetterDto[];
  @ApiProperty({ example: 3 }) total: number;
  @ApiProperty({ example: 1 }) pages: number;
  @ApiProperty({ example: 1 }) current_page: number;
}

export class RecipientDto {
  @ApiProperty({ example: 1001 }) id: number;
  @ApiProperty({ example: '+85291234567' }) phone: string;
  @ApiProperty({ enum: RECIPIENT_STATUSES, example: 'sent' }) status: RecipientStatus;
  @ApiProperty({ example: 1 }) attempts: number;
  @ApiProperty({ nullable: true, type: String, example: null }) error_message: string | null;
  @ApiProperty({ nullable: true, type: String, example: ISO }) sent_at: string | null;
  @ApiProperty({
    enum: DELIVERY_STATUSES,
    example: 'delivered',
    description: "From the gateway's delivery receipt; unknown until one arrives",
  })
  delivery_status: DeliveryStatus;
  @ApiProperty({ nullable: true, type: String, example: ISO }) delivered_at: string | null;
  @ApiPropertyOptional({
    example: 'Dear Chan, your appointment is on 3 Dec at 10:00.',
    description: 'Personalised jobs only: the text this recipient is sent',
  })
  content?: string;
}

export class RecipientListDto {
  @ApiProperty({ type: [RecipientDto] }) recipients: RecipientDto[];
  @ApiProperty({ example: 3 }) total: number;
  @ApiProperty({ example: 1 }) pages: number;
  @ApiProperty({ example: 1 }) current_page: number;
}
