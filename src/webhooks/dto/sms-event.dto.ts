import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export const SMS_EVENT_TYPES = [
  'queued',
  'attempt',
  'retry_scheduled',
  'sent',
  'failed',
  'expired',
  'cancelled',
  'suppressed',
  'delivered',
  'undelivered',
] as const;
export type SmsEventType = (typeof SMS_EVENT_TYPES)[number];

export class SmsEventDto {
  @ApiProperty({ enum: SMS_EVENT_TYPES, example: 'attempt' }) type: SmsEventType;
  @ApiProperty({ example: '2026-11-28T10:00:01.250Z' }) at: string;
  @ApiPropertyOptional({
    example: 1,
    description: 'The gateway request it is about (attempt, retry_scheduled, sent, failed)',
  })
  attempt?: number;
  @ApiPropertyOptional({
    example: 'HTTP 503: Service Unavailable',
    description:
      "attempt: the gateway's answer or the error; retry_scheduled: when the next attempt is due; failed / undelivered: why",
  })
  detail?: string;
}

export class SmsEventListDto {
  @ApiProperty({
    type: [SmsEventDto],
    description: 'Oldest first',
    example: [
      { type: 'queued', at: '2026-11-28T10:00:00.000Z' },
      {
        type: 'attempt',
        at: '2026-11-28T10:00:00.300Z',
        attempt: 1,
        detail: 'HTTP 503: Service Unavailable',
      },
      {
        type: 'retry_scheduled',
        at: '2026-11-28T10:00:00.300Z',
        attempt: 1,
        detail: 'next attempt at 2026-11-28T10:00:01.300Z',
      },
      { type: 'attempt', at: '2026-11-28T10:00:01.310Z', attempt: 2, detail: '{"id":"gw-81"}' },
      { type: 'sent', at: '2026-11-28T10:00:01.310Z', attempt: 2 },
      { type: 'delivered', at: '2026-11-28T10:00:04.000Z' },
    ],
  })
  events: SmsEventDto[];
}
