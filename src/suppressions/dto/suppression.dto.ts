import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { PaginationQueryDto } from '../../common/pagination.dto.js';

const ISO = '2026-11-28T10:00:00.000Z';

export const MAX_REASON_LENGTH = 500;

// PostgreSQL text cannot hold NUL: refused here rather than failing as a 500.
const NO_NUL = /^[^\u0000]*$/;

export class SuppressionDto {
  @ApiProperty({ example: '+85291234567', description: 'E.164' }) phone: string;
  @ApiProperty({ nullable: true, type: String, example: 'Replied STOP' }) reason: string | null;
  @ApiProperty({ example: ISO }) created_at: string;
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'admin',
    description: 'Username of the admin who added it; null once that user was deleted',
  })
  created_by: string | null;
}

export class SuppressionListDto {
  @ApiProperty({ type: [SuppressionDto], description: 'Newest first' })
  suppressions: SuppressionDto[];
  @ApiProperty({ example: 1 }) total: number;
  @ApiProperty({ example: 1 }) pages: number;
  @ApiProperty({ example: 1 }) current_page: number;
}

export class SuppressionQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({
    example: '+8529123',
    description: 'Numbers starting with these digits (a leading + optional; spaces ignored)',
    maxLength: 32,
  })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  @Matches(NO_NUL, { message: 'phone must not contain NUL characters' })
  phone?: string;
}

export class CreateSuppressionDto {
  @ApiProperty({
    example: '+85291234567',
    description: 'Normalised to E.164 like a recipient (SMS_DEFAULT_COUNTRY for national numbers)',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(32)
  phone: string;

  @ApiPropertyOptional({ example: 'Replied STOP', maxLength: MAX_REASON_LENGTH })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_REASON_LENGTH)
  @Matches(NO_NUL, { message: 'reason must not contain NUL characters' })
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason?: string;
}

export class SuppressionImportQueryDto {
  @ApiPropertyOptional({
    example: 'Opt-out list from the old panel',
    maxLength: MAX_REASON_LENGTH,
    description: 'Reason for rows without a `reason` column value',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_REASON_LENGTH)
  @Matches(NO_NUL, { message: 'reason must not contain NUL characters' })
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason?: string;
}

export class SuppressionImportErrorDto {
  @ApiProperty({ example: 3, description: 'Record number in the file (the header is row 1)' })
  row: number;
  @ApiProperty({ example: 'is too short to be a phone number' }) message: string;
}

export class SuppressionImportDto {
  @ApiProperty({ example: 120, description: 'Numbers newly on the list' }) added: number;
  @ApiProperty({
    example: 4,
    description: 'Numbers already on the list (or repeated in the file)',
  })
  already: number;
  @ApiProperty({
    type: [SuppressionImportErrorDto],
    description: 'Rows whose number is not valid (the first 1 000), not imported',
    example: [{ row: 3, message: 'is too short to be a phone number' }],
  })
  invalid: SuppressionImportErrorDto[];
  @ApiProperty({ example: 1, description: 'All invalid rows (invalid lists the first 1 000)' })
  invalid_count: number;
}
