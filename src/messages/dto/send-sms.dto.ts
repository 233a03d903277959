import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMinSize, IsArray, IsBoolean, IsString, MaxLength, ValidateIf } from 'class-validator';

/** Longer than 255 GSM-7 segments can never pass; checked exactly by segment count later. */
const CONTENT_HARD_MAX = 40_000;

export class SendSmsDto {
  @ApiProperty({
    example: '+85291234567',
    description: 'E.164; spaces, dashes and parentheses are tolerated',
  })
  @IsString()
  @MaxLength(64)
  recipient: string;

  @ApiProperty({
    example: 'Your appointment is tomorrow at 10:00.',
    description: 'Non-empty; GSM-7 or UCS-2',
  })
  @IsString()
  @MaxLength(CONTENT_HARD_MAX)
  content: string;

  @ApiPropertyOptional({
    example: false,
    default: false,
    description: 'Adhoc jobs are served before all others',
  })
  // Absent means false; null is a wrong type like any other.
  @ValidateIf((_, v) => v !== undefined)
  @IsBoolean()
  adhoc?: boolean;
}

export class SendBulkDto {
  @ApiProperty({
    type: [String],
    example: ['+85291234567', '+852 9123 4568', '+44 7700 900123'],
    description: 'Up to SMS_MAX_BULK_RECIPIENTS numbers (413 above). Duplicates are sent once.',
  })
  @IsArray()
  @ArrayMinSize(1)
  // Elements are checked by the phone normaliser, which reports each bad one by index.
  recipients: unknown[];

  @ApiProperty({ example: 'Office closed on Friday.' })
  @IsString()
  @MaxLength(CONTENT_HARD_MAX)
  content: string;

  @ApiPropertyOptional({ example: false, default: false })
  // Absent means false; null is a wrong type like any other.
  @ValidateIf((_, v) => v !== undefined)
  @IsBoolean()
  adhoc?: boolean;
}
