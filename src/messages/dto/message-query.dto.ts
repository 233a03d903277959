import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsDate,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinDate,
  MinLength,
} from 'class-validator';
import { MAX_PAGE, PaginationQueryDto } from '../../common/pagination.dto.js';
import {
  JOB_STATUSES,
  type JobStatus,
  RECIPIENT_STATUSES,
  type RecipientStatus,
} from '../statuses.js';

/** JavaScript dates reach further back than PostgreSQL timestamptz (4713 BC); cap the filters. */
const EARLIEST_DATE = new Date('0001-01-01T00:00:00Z');

export class MessageListQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ enum: JOB_STATUSES })
  @IsOptional()
  @IsIn(JOB_STATUSES)
  job_status?: JobStatus;

  @ApiPropertyOptional({
    example: '2026-11-01T00:00:00Z',
    description: 'created at or after (ISO-8601)',
  })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  @MinDate(EARLIEST_DATE)
  from?: Date;

  @ApiPropertyOptional({
    example: '2026-11-30T23:59:59Z',
    description: 'created at or before (ISO-8601)',
  })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  @MinDate(EARLIEST_DATE)
  to?: Date;
}

export class RecipientQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE, default: 1 })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE)
  page: number = 1;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  per_page: number = 100;

  @ApiPropertyOptional({ enum: RECIPIENT_STATUSES })
  @IsOptional()
  @IsIn(RECIPIENT_STATUSES)
  status?: RecipientStatus;
}

export class AdminMessageQueryDto extends MessageListQueryDto {
  @ApiPropertyOptional({ example: 7, description: "Only this user's jobs" })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  user_id?: number;

  @ApiPropertyOptional({
    example: 'appointment',
    description: 'Content contains this text (case-insensitive)',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  // PostgreSQL text cannot hold NUL: the search would fail with a 500.
  @Matches(/^[^\u0000]*$/, { message: 'q must not contain NUL characters' })
  q?: string;
}
