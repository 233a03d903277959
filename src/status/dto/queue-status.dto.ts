import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';

export class UserQueueDto {
  @ApiProperty({ example: 2, description: "The caller's jobs still pending or sending" })
  pending_messages: number;
  @ApiProperty({ example: 130, description: "The caller's SMS not yet in a final state" })
  pending_recipients: number;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '2026-11-28T10:01:05.000Z',
    description: 'Earliest estimated completion among those jobs',
  })
  next_estimated_complete_at: string | null;
  @ApiProperty({
    example: 0.75,
    minimum: 0,
    maximum: 1,
    description:
      "The fraction of the rate the caller's waiting SMS get now: its weight over the weights of the users with SMS waiting in its lane (0 while another lane goes first)",
  })
  share: number;
}

export class LaneDepthDto {
  @ApiProperty({ example: 120, description: 'SMS of this lane not yet in a final state' })
  queue_depth: number;
}

export class LanesDto {
  @ApiProperty({ type: LaneDepthDto, description: 'Taken before any normal SMS' })
  urgent: LaneDepthDto;
  @ApiProperty({ type: LaneDepthDto, description: 'Shared between users by weight' })
  normal: LaneDepthDto;
}

export class QueueStatusDto {
  @ApiProperty({
    example: 1250,
    description: 'SMS not yet in a final state (waiting, retry waiting or in flight), all users',
  })
  queue_depth: number;
  @ApiProperty({ example: 3, description: 'Jobs waiting for their first SMS' })
  pending_messages: number;
  @ApiProperty({ example: 1, description: 'Jobs with at least one SMS taken' })
  sending_messages: number;
  @ApiProperty({
    example: 2,
    description: 'Jobs waiting for their send_at (job_status "scheduled"); not in queue_depth',
  })
  scheduled_messages: number;
  @ApiProperty({
    example: 5000,
    description: 'SMS of those jobs; not in queue_depth',
  })
  scheduled_recipients: number;
  @ApiProperty({ nullable: true, type: String, example: '2026-11-28T09:58:00.000Z' })
  oldest_pending_at: string | null;
  @ApiProperty({ example: 2, description: 'Configured refill rate (SMS/s, cluster-wide)' })
  msgs_per_sec: number;
  @ApiProperty({ example: 4 }) burst_capacity: number;
  @ApiProperty({ example: 1.5 }) tokens_available: number;
  @ApiProperty({ example: 1.98, description: 'Gateway requests in the last 60 s, divided by 60' })
  observed_msgs_per_sec: number;
  @ApiProperty({
    example: 623,
    description:
      'Seconds until the queue is empty at the configured rate (once resumed, if paused)',
  })
  estimated_drain_seconds: number;
  @ApiProperty({ example: false }) paused: boolean;
  @ApiProperty({ example: 2, description: 'Live worker processes sharing the queue' })
  workers: number;
  @ApiProperty({ type: LanesDto }) lanes: LanesDto;
  @ApiProperty({ example: 3, description: 'Users with SMS waiting (they share the rate)' })
  active_users: number;
  @ApiPropertyOptional({ type: UserQueueDto, description: 'Only with a valid bearer token' })
  user?: UserQueueDto;
}

export class ThroughputPointDto {
  @ApiProperty({ example: '2026-11-28T10:00:01.000Z' }) second: string;
  @ApiProperty({ example: 2 }) requests: number;
  @ApiProperty({ example: 2 }) sent: number;
  @ApiProperty({ example: 0 }) failed: number;
}

export class ThroughputDto {
  @ApiProperty({
    type: [ThroughputPointDto],
    description: 'Seconds with at least one request, oldest first',
  })
  points: ThroughputPointDto[];
}

export class ThroughputQueryDto {
  @ApiPropertyOptional({
    minimum: 1,
    maximum: 3600,
    default: 600,
    description: 'How many seconds back',
  })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3600)
  seconds: number = 600;
}
