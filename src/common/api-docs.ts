import { applyDecorators, Type } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { ERROR_CODES } from './error-codes.js';

export class ErrorDetailDto {
  @ApiPropertyOptional({ example: 'recipients[3]' }) field?: string;
  @ApiPropertyOptional({ example: '+85212' }) value?: unknown;
  @ApiProperty({ example: 'not a possible phone number length for HK' }) message: string;
  @ApiPropertyOptional({
    example: '2026-11-28T10:30:00.000Z',
    description: 'WOULD_EXPIRE only: when the job is estimated to finish',
  })
  estimated_complete_at?: string;
  @ApiPropertyOptional({
    example: '2026-11-28T10:10:00.000Z',
    description: 'WOULD_EXPIRE only: the validity it would miss',
  })
  valid_until?: string;
}

export class ErrorBodyDto {
  @ApiProperty({ enum: ERROR_CODES, example: 'VALIDATION_ERROR' }) code: string;
  @ApiProperty({ example: 'Request validation failed' }) message: string;
  @ApiPropertyOptional({ type: [ErrorDetailDto] }) details?: ErrorDetailDto[];
  @ApiPropertyOptional({
    description: 'Only on 5xx answers',
    example: '9b2f1c1e-1c1e-4d5e-9f1a-2b3c4d5e6f70',
  })
  request_id?: string;
}

export class ErrorEnvelopeDto {
  @ApiProperty({ example: false }) success: false;
  @ApiProperty({ type: ErrorBodyDto }) error: ErrorBodyDto;
}

const ERROR_EXAMPLES: Record<number, [string, (typeof ERROR_CODES)[number], string]> = {
  400: ['Invalid input', 'VALIDATION_ERROR', 'Request validation failed'],
  401: [
    'Missing, invalid or expired token, or disabled user',
    'UNAUTHORIZED',
    'Authentication required',
  ],
  403: ['The caller lacks the admin role', 'FORBIDDEN', 'Admin role required'],
  404: ["Not found (or not the caller's)", 'NOT_FOUND', 'Message not found'],
  409: ['Conflicts with the current state', 'CONFLICT', 'Username already exists'],
  413: ['Request body too large', 'PAYLOAD_TOO_LARGE', 'Request body is too large'],
  422: [
    'The estimate already misses valid_until (and allow_expiry is not true): nothing was queued',
    'WOULD_EXPIRE',
    'The job is estimated to finish at 2026-11-28T10:30:00.000Z, after its valid_until 2026-11-28T10:10:00.000Z; nothing was queued',
  ],
  429: ['Too many attempts', 'RATE_LIMITED', 'Too many requests, slow down'],
  503: ['Database unavailable', 'SERVICE_UNAVAILABLE', 'Database unavailable, try again shortly'],
};

/** Documents one error answer of a route with the shared envelope and its own example. */
export function ApiErrorExample(
  status: number,
  description: string,
  code: (typeof ERROR_CODES)[number],
  message: string,
) {
  return applyDecorators(
    ApiExtraModels(ErrorEnvelopeDto),
    ApiResponse({
      status,
      description,
      schema: { $ref: getSchemaPath(ErrorEnvelopeDto) },
      example: { success: false, error: { code, message } },
    }),
  );
}

/** The errors every `text/csv` upload route shares: too many rows, and a body of another type. */
export function ApiCsvBodyErrors() {
  return applyDecorators(
    ApiErrorExample(
      413,
      'More than SMS_MAX_CSV_ROWS rows',
      'PAYLOAD_TOO_LARGE',
      'At most 1000000 rows per CSV upload',
    ),
    ApiErrorExample(
      415,
      'A body that is not text/csv',
      'UNSUPPORTED_MEDIA_TYPE',
      'Request bodies must be text/csv here',
    ),
  );
}

/** Documents error answers with the shared envelope and an example per status. */
export function ApiErrors(...statuses: number[]) {
  return applyDecorators(
    ...statuses.map((status) => ApiErrorExample(status, ...ERROR_EXAMPLES[status])),
  );
}

/** Documents a success answer `{success: true, data: <model>}`. */
export function ApiEnvelope(model: Type<unknown>, status = 200, description = 'Success') {
  return applyDecorators(
    ApiExtraModels(model),
    ApiResponse({
      status,
      description,
      schema: {
        type: 'object',
        required: ['success', 'data'],
        properties: {
          success: { type: 'boolean', example: true },
          data: { $ref: getSchemaPath(model) },
          message: { type: 'string' },
        },
      },
    }),
  );
}
