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

const ERROR_EXAMPLES: Record<number, [string, string, string]> = {
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
  429: ['Too many attempts', 'RATE_LIMITED', 'Too many requests, slow down'],
  503: ['Database unavailable', 'SERVICE_UNAVAILABLE', 'Database unavailable, try again shortly'],
};

/** Documents error answers with the shared envelope and an example per status. */
export function ApiErrors(...statuses: number[]) {
  return applyDecorators(
    ApiExtraModels(ErrorEnvelopeDto),
    ...statuses.map((status) => {
      const [description, code, message] = ERROR_EXAMPLES[status];
      return ApiResponse({
        status,
        description,
        schema: { $ref: getSchemaPath(ErrorEnvelopeDto) },
        example: { success: false, error: { code, message } },
      });
    }),
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
