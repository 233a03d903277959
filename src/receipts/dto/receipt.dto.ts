import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

export const RECEIPT_STATUSES = ['delivered', 'undelivered'] as const;
export const MAX_RECEIPTS = 1000;

export class ReceiptDto {
  @ApiProperty({
    example: 'gw-7f3a91',
    description: "The gateway's id of the SMS, from its answer to the send request",
  })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  gateway_message_id: string;

  @ApiProperty({ enum: RECEIPT_STATUSES, example: 'delivered' })
  @IsIn(RECEIPT_STATUSES)
  status: (typeof RECEIPT_STATUSES)[number];

  @ApiPropertyOptional({
    example: '2026-11-28T10:00:03.000Z',
    description: 'When the handset got it (or the gateway gave up); default: now',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  at?: string;

  @ApiPropertyOptional({ example: 'absent subscriber', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  error?: string;
}

export class ReceiptsResultDto {
  @ApiProperty({
    example: 2,
    description: 'Receipts for SMS this service knows (repeats included)',
  })
  accepted: number;
  @ApiProperty({
    type: [String],
    example: ['gw-unknown-1'],
    description: 'Ids no SMS has (yet): the gateway may send these again later',
  })
  unknown: string[];
}
