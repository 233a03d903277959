import {
  type EventJsonOptions,
  messageJsonSql,
  recipientJsonSql,
  subscribedSql,
} from '../../migrations/webhook-events-functions.js';

/** The columns the current schema has (see migrations/webhook-events-functions.ts). */
export const EVENT_JSON: EventJsonOptions = { withReceipts: true, withSuppressed: true };

/** What a statement that changes recipients RETURNs so recipientEventsSql can report them. */
export const RECIPIENT_EVENT_COLUMNS =
  'r.id, r.phone, r.attempts, r.error_message, r.sent_at, r.delivery_status, r.delivered_at';

/**
 * An INSERT of `recipient.<status>` events (sent, failed, expired), or with `receipts` of
 * `recipient.<delivery_status>` events (delivered, undelivered), for the recipients in
 * `rows` (a CTE returning message_id, status and RECIPIENT_EVENT_COLUMNS) with their jobs as
 * `jobs` (a CTE returning the messages rows after the same statement), for users with an
 * active endpoint taking the type. Meant as the last part of the statement that records the
 * change, so the event commits with it. With no active endpoint taking any of these types
 * (none at all, or only job events: message.*), the one-time gate stops it before it reads a
 * row (bench/webhooks, before this gate: an endpoint taking only message.* events ran dispatch
 * at 80-86 % of the rate without one, in three alternating rounds).
 */
export const recipientEventsSql = (rows: string, jobs: string, receipts = false) => {
  const state = receipts ? 'r.delivery_status' : 'r.status';
  const states = receipts ? ['delivered', 'undelivered'] : ['sent', 'failed', 'expired'];
  const reported = `(${states.map((s) => `'${s}'`).join(', ')})`;
  const types = states.map((s) => `'recipient.${s}'`).join(', ');
  // Uncorrelated: evaluated once (a one-time filter), like ANY_ENDPOINT_SQL.
  const anyTaker = `EXISTS (SELECT FROM webhook_endpoints
    WHERE is_active AND (events && ARRAY[${types}]::text[] OR '*' = ANY (events)))`;
  return `
  INSERT INTO webhook_events (user_id, type, message_id, data)
  SELECT j.user_id, 'recipient.' || ${state}, j.id,
    jsonb_build_object('message', ${messageJsonSql('j', EVENT_JSON)},
      'recipient', ${recipientJsonSql('r', EVENT_JSON)})
  FROM ${rows} r JOIN ${jobs} j ON j.id = r.message_id
  WHERE ${anyTaker} AND ${state} IN ${reported}
    AND ${subscribedSql('j.user_id', `'recipient.' || ${state}`)}`;
};
