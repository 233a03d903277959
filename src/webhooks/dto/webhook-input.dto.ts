import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  MaxLength,
  Min,
} from 'class-validator';
import { PaginationQueryDto } from '../../common/pagination.dto.js';
import { DELIVERY_STATUSES, type DeliveryStatus, SUBSCRIBABLE } from '../event-types.js';
import { MAX_URL_LENGTH } from '../url-guard.js';

const URL_DOC =
  'http or https, at most 2 000 characters. A host that is or resolves to a loopback, private, link-local or unspecified address is refused (400) unless the server runs with WEBHOOK_ALLOW_PRIVATE=true. Redirects are not followed.';
const EVENTS_DOC =
  'A non-empty list of event types, or ["*"] for all. An endpoint receives events of its owner\'s messages only.';

export class CreateWebhookDto {
  @ApiProperty({
    example: 'https://hooks.example.com/smspanel',
    maxLength: MAX_URL_LENGTH,
    description: URL_DOC,
  })
  @IsString()
  @MaxLength(MAX_URL_LENGTH)
  url: string;

  @ApiProperty({
    enum: SUBSCRIBABLE,
    isArray: true,
    example: ['message.completed', 'recipient.failed'],
    description: EVENTS_DOC,
  })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(SUBSCRIBABLE.length)
  @IsIn(SUBSCRIBABLE, { each: true })
  events: string[];

  @ApiPropertyOptional({ example: 'CRM integration', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;
}

export class UpdateWebhookDto {
  @ApiPropertyOptional({
    example: 'https://hooks.example.com/smspanel/v2',
    maxLength: MAX_URL_LENGTH,
    description: URL_DOC,
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_URL_LENGTH)
  url?: string;

  @ApiPropertyOptional({
    enum: SUBSCRIBABLE,
    isArray: true,
    example: ['*'],
    description: EVENTS_DOC,
  })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(SUBSCRIBABLE.length)
  @IsIn(SUBSCRIBABLE, { each: true })
  events?: string[];

  @ApiPropertyOptional({ nullable: true, type: String, example: 'CRM integration', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;

  @ApiPropertyOptional({
    example: true,
    description:
      'false pauses deliveries; true turns a deactivated endpoint back on (clears disabled_reason)',
  })
  @IsOptional()
  @IsBoolean()
  is_active?: boolean;
}

export class DeliveryQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES, example: 'failed' })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;
}

export class AdminWebhookQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ example: 7, description: "Only this user's endpoints" })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  user_id?: number;
}
