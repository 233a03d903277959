import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DELIVERY_STATUSES, type DeliveryStatus, SUBSCRIBABLE } from '../event-types.js';

const ISO = '2026-11-28T10:00:00.000Z';
const SECRET = 'whsec_Jx3q0m9V2c8dW5yKf1tHn7LbR4sE6uAo0pZiQgYvXkM';

export class WebhookDto {
  @ApiProperty({ example: 3 }) id: number;
  @ApiProperty({ example: 'https://hooks.example.com/smspanel' }) url: string;
  @ApiProperty({ enum: SUBSCRIBABLE, isArray: true, example: ['message.completed'] })
  events: string[];
  @ApiProperty({ nullable: true, type: String, example: 'CRM integration' })
  description: string | null;
  @ApiProperty({ example: true }) is_active: boolean;
  @ApiProperty({
    nullable: true,
    type: String,
    example: null,
    description:
      'Why the service turned the endpoint off (every delivery failed for 24 h); null otherwise',
  })
  disabled_reason: string | null;
  @ApiProperty({ example: ISO }) created_at: string;
  @ApiProperty({ example: ISO }) updated_at: string;
}

export class CreatedWebhookDto extends WebhookDto {
  @ApiProperty({
    example: SECRET,
    description:
      'Signs every delivery (Smspanel-Signature). Shown only in this answer: store it now.',
  })
  secret: string;
}

export class AdminWebhookDto extends WebhookDto {
  @ApiProperty({ example: 7 }) user_id: number;
  @ApiPropertyOptional({ nullable: true, type: String, example: 'alice' })
  owner_username: string | null;
}

export class WebhookListDto {
  @ApiProperty({ type: [WebhookDto] }) webhooks: WebhookDto[];
  @ApiProperty({ example: 2 }) total: number;
  @ApiProperty({ example: 1 }) pages: number;
  @ApiProperty({ example: 1 }) current_page: number;
}

export class AdminWebhookListDto {
  @ApiProperty({ type: [AdminWebhookDto] }) webhooks: AdminWebhookDto[];
  @ApiProperty({ example: 2 }) total: number;
  @ApiProperty({ example: 1 }) pages: number;
  @ApiProperty({ example: 1 }) current_page: number;
}

export class WebhookSecretDto {
  @ApiProperty({
    example: SECRET,
    description: 'The new secret; it signs from now on. Shown once.',
  })
  secret: string;
}

export class QueuedEventDto {
  @ApiProperty({ example: 'evt_1f0c6c1e9b3a4d6f8e2a7b5c3d1e0f92' }) event_id: string;
}

export class DeliveryDto {
  @ApiProperty({ example: 1201 }) id: number;
  @ApiProperty({ example: 'evt_1f0c6c1e9b3a4d6f8e2a7b5c3d1e0f92' }) event_id: string;
  @ApiProperty({ example: 'message.completed' }) event_type: string;
  @ApiProperty({ enum: DELIVERY_STATUSES, example: 'pending' }) status: DeliveryStatus;
  @ApiProperty({ example: 2, description: 'Attempts made (or under way)' }) attempts: number;
  @ApiProperty({ nullable: true, type: Number, example: 500 }) last_status_code: number | null;
  @ApiProperty({ nullable: true, type: String, example: 'HTTP 500: upstream unavailable' })
  last_error: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '2026-11-28T10:01:10.000Z',
    description: 'When a pending delivery is tried next; null once delivered or failed',
  })
  next_attempt_at: string | null;
  @ApiProperty({ nullable: true, type: String, example: null }) delivered_at: string | null;
  @ApiProperty({ example: ISO }) created_at: string;
}

export class DeliveryListDto {
  @ApiProperty({ type: [DeliveryDto] }) deliveries: DeliveryDto[];
  @ApiProperty({ example: 14 }) total: number;
  @ApiProperty({ example: 1 }) pages: number;
  @ApiProperty({ example: 1 }) current_page: number;
}
