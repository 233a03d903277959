import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsISO8601,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { ElementsCheckedLater } from '../../common/elements-checked-later.js';
import { PRIORITIES, type Priority } from '../lanes.js';

const CONTENT_RULES =
  'Non-empty; GSM-7 or UCS-2; no control characters but \\n, \\r and \\t (400 VALIDATION_ERROR); more than SMS_MAX_SEGMENTS segments → 400 CONTENT_TOO_LONG';

const present = (_: object, v: unknown) => v !== undefined;

const TEMPLATE_RULES =
  'One of your templates (CONTENT.md), instead of content: exactly one of the two. Its current version is rendered; 404 NOT_FOUND when it is not yours. A placeholder without a value → 400 MISSING_FIELDS';

/** A date and time with a UTC offset (`Z` or `±hh:mm`): a bare local time is ambiguous. */
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** A daily send window (SCHEDULING.md, "Send windows"). */
export class SendWindowDto {
  @ApiProperty({ example: '09:00', description: 'Opens at (HH:MM, local time)' })
  @IsString()
  @Matches(HH_MM, { message: 'start must be HH:MM (00:00 to 23:59)' })
  start: string;

  @ApiProperty({
    example: '21:00',
    description: 'Closes at (HH:MM, local time); before start: the window wraps midnight',
  })
  @IsString()
  @Matches(HH_MM, { message: 'end must be HH:MM (00:00 to 23:59)' })
  end: string;

  @ApiProperty({ example: 'Asia/Hong_Kong', description: 'IANA time zone of start and end' })
  @IsString()
  @MaxLength(64)
  time_zone: string;
}

/** When to send (SCHEDULING.md, "Scheduled send" and "Send windows"). */
class ScheduleFields {
  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    example: '2026-11-28T18:30:00+08:00',
    description:
      'Send at this time (ISO-8601 with a UTC offset). In the past or now: sent as usual. Ahead: the job is "scheduled" until then (it holds no share of the rate and can be cancelled), then joins its lane as if submitted at that moment. More than 90 days ahead, or not a valid time with an offset → 400 VALIDATION_ERROR.',
  })
  @ValidateIf(present)
  @IsString()
  @MaxLength(40)
  @Matches(WITH_OFFSET, { message: 'send_at must be an ISO-8601 date and time with an offset' })
  @IsISO8601({ strict: true }, { message: 'send_at must be a valid ISO-8601 date and time' })
  send_at?: string;

  @ApiPropertyOptional({
    type: () => SendWindowDto,
    nullable: true,
    description:
      'Daily hours the SMS may be sent in (quiet hours outside): SMS wait outside it, hold no share of the rate, and resume at the next opening. Absent: the server default SMS_SEND_WINDOW (if any); null: always.',
  })
  @ValidateIf(
    (o: { send_window?: unknown }) => o.send_window !== undefined && o.send_window !== null,
  )
  @IsObject()
  @ValidateNested()
  @Type(() => SendWindowDto)
  send_window?: SendWindowDto | null;
}

/** The lane of a send request: `adhoc` (the old panel's flag) or `priority` (new). */
class LaneFields extends ScheduleFields {
  @ApiPropertyOptional({
    example: false,
    default: false,
    description:
      'The old panel\'s urgent flag, kept: true is the same as priority "urgent". Given with priority, both must mean the same (else 400).',
  })
  // Absent means false; null is a wrong type like any other.
  @ValidateIf(present)
  @IsBoolean()
  adhoc?: boolean;

  @ApiPropertyOptional({
    enum: PRIORITIES,
    example: 'normal',
    default: 'normal',
    description:
      'Lane: every urgent SMS is sent before any normal one. Urgent needs the can_send_urgent right (admins always have it), else 403 FORBIDDEN and nothing is queued. Given with adhoc, both must mean the same (else 400).',
  })
  @ValidateIf(present)
  @IsIn(PRIORITIES)
  priority?: Priority;
}

/** How long the SMS stay worth sending (SCHEDULING.md, validity). */
class ValidityFields extends LaneFields {
  @ApiPropertyOptional({
    example: '2026-11-28T10:10:00+08:00',
    description:
      'ISO-8601 with an offset. An SMS whose request has not started by then is not sent: it becomes `expired`. Not with validity_seconds (400).',
  })
  @ValidateIf(present)
  @IsString()
  @MaxLength(40)
  @Matches(WITH_OFFSET, { message: 'valid_until must be an ISO-8601 date and time with an offset' })
  @IsISO8601({ strict: true }, { message: 'valid_until must be a valid ISO-8601 date and time' })
  valid_until?: string;

  @ApiPropertyOptional({
    example: 600,
    minimum: 60,
    maximum: 604800,
    description:
      'Validity in seconds (60 to 604 800) from submission, or from send_at for a scheduled job; instead of valid_until.',
  })
  @ValidateIf(present)
  @IsInt()
  @Min(60)
  @Max(604800)
  validity_seconds?: number;

  @ApiPropertyOptional({
    example: false,
    description:
      'Default false. Queue even when the estimate already misses valid_until (the late part expires); without it such a request is refused with 422 WOULD_EXPIRE.',
  })
  @ValidateIf(present)
  @IsBoolean()
  allow_expiry?: boolean;
}

/** `content` or `template_id`: exactly one (checked by the service, which names both). */
export class TextFields extends ValidityFields {
  @ApiPropertyOptional({ example: 12, minimum: 1, description: TEMPLATE_RULES })
  @ValidateIf(present)
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  template_id?: number;
}

export class SendSmsDto extends TextFields {
  @ApiProperty({
    example: '+85291234567',
    description: 'E.164; spaces, dashes and parentheses are tolerated',
  })
  @IsString()
  @MaxLength(64)
  recipient: string;

  @ApiPropertyOptional({
    example: 'Your appointment is tomorrow at 10:00.',
    description: `${CONTENT_RULES}. Or template_id.`,
  })
  // No length cap here: any length over SMS_MAX_SEGMENTS is CONTENT_TOO_LONG (the body limit
  // bounds the size).
  @ValidateIf(present)
  @IsString()
  content?: string;
}

export class SendBulkDto extends TextFields {
  @ApiProperty({
    type: 'array',
    items: {
      oneOf: [
        { type: 'string', example: '+85291234567' },
        {
          type: 'object',
          required: ['phone'],
          properties: {
            phone: { type: 'string', example: '+85291234567' },
            vars: {
              type: 'object',
              additionalProperties: {
                oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }],
              },
              example: { name: 'Chan', date: '3 Dec', time: '10:00' },
            },
          },
        },
      ],
    },
    example: ['+85291234567', '+852 9123 4568', '+44 7700 900123'],
    description:
      "Up to SMS_MAX_BULK_RECIPIENTS numbers (413 above), as strings, or as {phone, vars} objects (all one kind, not mixed) for a personalised bulk: the content or template is rendered for each recipient with its vars (names ignore case) and each text counted and checked on its own; a placeholder without a value is 400 MISSING_FIELDS naming the first 100 rows. Duplicates are sent once (the first row's vars).",
  })
  @IsArray()
  @ArrayMinSize(1)
  // Elements are checked by the phone normaliser or personalise(), which report each bad one
  // by index.
  @ElementsCheckedLater()
  recipients: unknown[];

  @ApiPropertyOptional({
    example: 'Office closed on Friday.',
    description: `${CONTENT_RULES}. Or template_id.`,
  })
  @ValidateIf(present)
  @IsString()
  content?: string;
}
