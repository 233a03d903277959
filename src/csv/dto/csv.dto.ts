import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { plainToInstance, Transform } from 'class-transformer';
import { IsBoolean, IsString, MaxLength, ValidateIf } from 'class-validator';
import { AcceptedSmsDto } from '../../messages/dto/message.dto.js';
import { SendWindowDto, TextFields } from '../../messages/dto/send-sms.dto.js';
import { splitWindowSpec } from '../../scheduling/send-window.js';

const present = (_: object, v: unknown) => v !== undefined;
/** Query strings: "true" and "false" only (anything else stays a string and fails IsBoolean). */
const toBoolean = ({ value }: { value: unknown }) =>
  value === 'true' ? true : value === 'false' ? false : value;
/** Query strings of digits become numbers (anything else stays a string and fails IsInt). */
const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value;
/**
 * A send window in a query string, as SMS_SEND_WINDOW writes it ("09:00-21:00
 * Asia/Hong_Kong"), or "none" for send-bulk's `send_window: null`; anything else stays a
 * string and fails the object check.
 */
function toWindow({ value }: { value: unknown }): unknown {
  if (value === 'none') return null;
  const parts = typeof value === 'string' ? splitWindowSpec(value) : null;
  return parts ? plainToInstance(SendWindowDto, parts) : value;
}

/** POST /api/sms/send-csv's query: the job's fields as in send-bulk, and the upload's own. */
export class CsvQueryDto extends TextFields {
  @ApiPropertyOptional({
    example: 'Dear {{name}}, your appointment is on {{date}}.',
    description:
      'The text with {{placeholders}} filled from the columns of the same names; or template_id (exactly one)',
  })
  @ValidateIf(present)
  @IsString()
  @MaxLength(10_000)
  content?: string;

  @ApiPropertyOptional({
    example: true,
    description: 'true: answer the report (200) and queue nothing',
  })
  @Transform(toBoolean)
  @ValidateIf(present)
  @IsBoolean()
  dry_run?: boolean;

  @ApiPropertyOptional({
    example: false,
    description:
      'true: queue the valid rows and report the others in the answer. Default: any invalid row is 400 and nothing is queued',
  })
  @Transform(toBoolean)
  @ValidateIf(present)
  @IsBoolean()
  skip_invalid?: boolean;
}

// The query's strings made into the numbers and booleans the inherited rules check.
for (const [field, convert] of [
  ['template_id', toInt],
  ['validity_seconds', toInt],
  ['adhoc', toBoolean],
  ['allow_expiry', toBoolean],
  ['send_window', toWindow],
] as const) {
  Transform(convert)(CsvQueryDto.prototype, field);
}
// In a query it is one string, not send-bulk's object.
ApiPropertyOptional({
  type: String,
  nullable: false,
  example: '09:00-21:00 Asia/Hong_Kong',
  description:
    'Daily hours the SMS may be sent in, "HH:MM-HH:MM <IANA zone>" (start after end wraps midnight); "none": always. Absent: the server default SMS_SEND_WINDOW (if any).',
})(CsvQueryDto.prototype, 'send_window');

export class CsvErrorDto {
  @ApiProperty({ example: 7, description: 'Record number in the file; the header is row 1' })
  row: number;
  @ApiProperty({ nullable: true, type: String, example: 'phone' }) column: string | null;
  @ApiProperty({ example: 'not a possible phone number length for HK' }) message: string;
}

export class CsvPreviewDto {
  @ApiProperty({ example: 2 }) row: number;
  @ApiProperty({ example: '+85291234567' }) phone: string;
  @ApiProperty({ example: 'Dear Chan, your appointment is on 3 Dec at 10:00.' }) content: string;
  @ApiProperty({ example: 1 }) segments: number;
}

export class EncodingCountsDto {
  @ApiProperty({ example: 998 }) gsm7: number;
  @ApiProperty({ example: 2 }) ucs2: number;
}

export class CsvReportDto {
  @ApiProperty({ example: 1002, description: 'Data rows (the header not counted)' }) rows: number;
  @ApiProperty({ example: 1000 }) valid: number;
  @ApiProperty({ example: 1 }) invalid: number;
  @ApiProperty({ example: 1 }) duplicates_removed: number;
  @ApiProperty({ example: 0, description: 'Rows whose number is on the suppression list' })
  suppressed: number;
  @ApiProperty({ example: 1004 }) total_segments: number;
  @ApiProperty({ type: EncodingCountsDto }) encoding_counts: EncodingCountsDto;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '2026-11-28T10:30:00.000Z',
    description: 'Dry runs: when the job would finish if queued now',
  })
  estimated_complete_at: string | null;
  @ApiProperty({ type: [CsvPreviewDto], description: 'The first 5 valid rows, rendered' })
  preview: CsvPreviewDto[];
  @ApiProperty({ type: [CsvErrorDto], description: 'The first 1 000 invalid rows' })
  errors: CsvErrorDto[];
}

export class CsvAcceptedDto extends AcceptedSmsDto {
  @ApiProperty({ type: CsvReportDto }) report: CsvReportDto;
}
