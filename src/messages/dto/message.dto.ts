import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { JOB_STATUSES, RECIPIENT_STATUSES } from '../message-row.js';

const LEGACY_STATUSES = ['pending', 'sent', 'partial', 'failed', 'cancelled'];
const ISO = '2026-11-28T10:00:00.000Z';

class EstimateFields {
  @ApiProperty({
    nullable: true,
    type: Number,
    example: 2,
    description: '1 + unfinished jobs served before this one; null once sending or finished',
  })
  queue_position: number | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '2026-11-28T10:00:30.000Z',
    description: 'When the last recipient is expected to be sent; null once finished',
  })
  estimated_complete_at: string | null;
}

export class AcceptedSmsDto extends EstimateFields {
  @ApiProperty({ example: 42 }) id: number;
  @ApiProperty({ enum: LEGACY_STATUSES, example: 'pending' }) status: string;
  @ApiProperty({ enum: JOB_STATUSES, example: 'pending' }) job_status: string;
  @ApiPropertyOptional({ example: '+85291234567', description: 'POST /api/sms only' })
  recipient?: string;
  @ApiPropertyOptional({
    example: 3,
    description: 'POST /api/sms/send-bulk only: recipients queued',
  })
  total?: number;
  @ApiPropertyOptional({ example: 0, description: 'send-bulk only' }) duplicates_removed?: number;
  @ApiProperty({ example: 'Office closed on Friday.' }) content: string;
  @ApiProperty({ example: false }) adhoc: boolean;
  @ApiProperty({ example: ISO }) created_at: string;
  @ApiProperty({ example: 1 }) segments: number;
  @ApiProperty({ enum: ['gsm7', 'ucs2'], example: 'gsm7' }) encoding: string;
}

export class MessageSummaryDto extends EstimateFields {
  @ApiProperty({ example: 42 }) id: number;
  @ApiProperty({ example: 'Office closed on Friday.' }) content: string;
  @ApiProperty({ enum: LEGACY_STATUSES, example: 'pending' }) status: string;
  @ApiProperty({ enum: JOB_STATUSES, example: 'sending' }) job_status: string;
  @ApiProperty({ example: ISO }) created_at: string;
  @ApiProperty({ example: 3 }) recipient_count: number;
  @ApiProperty({ example: false }) adhoc: boolean;
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

export class MessageDetailDto extends EstimateFields {
  @ApiProperty({ example: 42 }) id: number;
  @ApiProperty({ example: 'Office closed on Friday.' }) content: string;
  @ApiProperty({ enum: LEGACY_STATUSES, example: 'pending' }) status: string;
  @ApiProperty({ enum: JOB_STATUSES, example: 'sending' }) job_status: string;
  @ApiProperty({ example: false }) adhoc: boolean;
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
  @ApiProperty({ enum: RECIPIENT_STATUSES, example: 'sent' }) status: string;
  @ApiProperty({ example: 1 }) attempts: number;
  @ApiProperty({ nullable: true, type: String, example: null }) error_message: string | null;
  @ApiProperty({ nullable: true, type: String, example: ISO }) sent_at: string | null;
}

export class RecipientListDto {
  @ApiProperty({ type: [RecipientDto] }) recipients: RecipientDto[];
  @ApiProperty({ example: 3 }) total: number;
  @ApiProperty({ example: 1 }) pages: number;
  @ApiProperty({ example: 1 }) current_page: number;
}
