/** Every event type an endpoint may subscribe to (WEBHOOKS.md); `*` takes them all. */
export const EVENT_TYPES = [
  'message.started',
  'message.completed',
  'message.partial',
  'message.failed',
  'message.cancelled',
  'message.expired',
  'recipient.sent',
  'recipient.failed',
  'recipient.expired',
  'recipient.delivered',
  'recipient.undelivered',
] as const;

export const ALL_EVENTS = '*';
export const SUBSCRIBABLE = [...EVENT_TYPES, ALL_EVENTS] as const;

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** The stored list: `*` alone when it is asked for, else the types once each, in order. */
export const normalizeEvents = (events: string[]) =>
  events.includes(ALL_EVENTS) ? [ALL_EVENTS] : EVENT_TYPES.filter((t) => events.includes(t));
