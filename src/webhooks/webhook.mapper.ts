import type { AdminWebhookDto, DeliveryDto, WebhookDto } from './dto/webhook.dto.js';
import type { DeliveryRow, EndpointRow } from './webhooks.repository.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toWebhook(e: EndpointRow): WebhookDto {
  return {
    id: e.id,
    url: e.url,
    events: e.events,
    description: e.description,
    is_active: e.is_active,
    disabled_reason: e.disabled_reason,
    created_at: e.created_at.toISOString(),
    updated_at: e.updated_at.toISOString(),
  };
}

export const toAdminWebhook = (e: EndpointRow): AdminWebhookDto => ({
  ...toWebhook(e),
  user_id: e.user_id,
  owner_username: e.owner_username ?? null,
});

export function toDelivery(d: DeliveryRow): DeliveryDto {
  return {
    id: Number(d.id),
    event_id: d.event_id,
    event_type: d.event_type,
    status: d.status,
    attempts: d.attempts,
    last_status_code: d.last_status_code,
    last_error: d.last_error,
    next_attempt_at: iso(d.next_attempt_at),
    delivered_at: iso(d.delivered_at),
    created_at: d.created_at.toISOString(),
  };
}
