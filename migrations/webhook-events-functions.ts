/**
 * SQL shared by the webhook migrations and the statements that write events in the same
 * statement as the state change they report (WEBHOOKS.md): the JSON of a job and of an SMS as
 * events carry them, the test "does this user have an active endpoint for this type", and the
 * trigger functions. Kept here, beside the migrations, so a later migration can replace the
 * functions and src/ uses the very same expressions.
 */

export interface EventJsonOptions {
  /** Delivery receipts: recipients' delivery_status / delivered_at, jobs' delivered counts. */
  withReceipts: boolean;
  /** Jobs' suppressed_count (the suppressions migration on). */
  withSuppressed?: boolean;
}

const iso = (expr: string) =>
  `to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** `data.message` of an event, from a messages row `m` as it is after the change. */
export const messageJsonSql = (m: string, o: EventJsonOptions) => `jsonb_build_object(
    'id', ${m}.id, 'job_status', ${m}.job_status, 'status', ${m}.status,
    'recipient_count', ${m}.recipient_count, 'success_count', ${m}.sent_count,
    'failed_count', ${m}.failed_count, 'cancelled_count', ${m}.cancelled_count,
    'expired_count', ${m}.expired_count,${o.withSuppressed ? ` 'suppressed_count', ${m}.suppressed_count,` : ''}
    'pending_count', ${m}.recipient_count - ${m}.sent_count - ${m}.failed_count - ${m}.cancelled_count - ${m}.expired_count${
      o.withSuppressed ? ` - ${m}.suppressed_count` : ''
    },${
      o.withReceipts
        ? `
    'delivered_count', ${m}.delivered_count, 'undelivered_count', ${m}.undelivered_count,`
        : ''
    }
    'created_at', ${iso(`${m}.created_at`)}, 'started_at', ${iso(`${m}.started_at`)},
    'completed_at', ${iso(`${m}.completed_at`)})`;

/** `data.recipient` of an event, from a recipients row `r` as it is after the change. */
export const recipientJsonSql = (r: string, o: EventJsonOptions) => `jsonb_build_object(
    'id', ${r}.id, 'phone', ${r}.phone, 'status', ${r}.status, 'attempts', ${r}.attempts,
    'error_message', ${r}.error_message, 'sent_at', ${iso(`${r}.sent_at`)},
    'delivery_status', ${o.withReceipts ? `${r}.delivery_status` : `'unknown'`},
    'delivered_at', ${o.withReceipts ? iso(`${r}.delivered_at`) : 'NULL'})`;

/** True when the user has an active endpoint that takes events of this type. */
export const subscribedSql = (userId: string, type: string) => `EXISTS (
    SELECT FROM webhook_endpoints e
    WHERE e.user_id = ${userId} AND e.is_active AND (${type} = ANY (e.events) OR '*' = ANY (e.events)))`;

/**
 * Gate for a whole statement: an uncorrelated sub-select the planner evaluates once (a
 * one-time filter), so with no active endpoint at all nothing else of the event query runs.
 */
export const ANY_ENDPOINT_SQL = `EXISTS (SELECT FROM webhook_endpoints WHERE is_active)`;

/** The NOTIFY channel that wakes the delivery loops. */
export const WEBHOOK_CHANNEL = 'webhook_deliveries';

/**
 * A job can be final the moment it is written (every number on the suppression list): the
 * UPDATE trigger never sees it change, so this row trigger (fired only for such rows, by its
 * WHEN clause) reports its `message.completed`.
 */
export const webhookJobInsertedSql = (o: EventJsonOptions) => `
  CREATE OR REPLACE FUNCTION webhook_job_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NOT ${ANY_ENDPOINT_SQL} THEN RETURN NULL; END IF;
    INSERT INTO webhook_events (user_id, type, message_id, data)
    SELECT n.user_id, 'message.' || n.job_status, n.id,
      jsonb_build_object('message', ${messageJsonSql('n', o)})
    FROM (SELECT NEW.*) n
    WHERE ${subscribedSql('n.user_id', "'message.' || n.job_status")};
    RETURN NULL;
  END $$`;

/**
 * CREATE OR REPLACE of the trigger functions:
 * - webhook_job_events: after an UPDATE of messages, a `message.*` event for every job whose
 *   job_status changed into one that is reported (pending → sending is `message.started`);
 * - webhook_events_fanout: after an INSERT into webhook_events, one delivery per matching
 *   active endpoint (a ping names its endpoint), and a NOTIFY for the delivery loops.
 */
export const webhookFunctionsSql = (o: EventJsonOptions) => `
  CREATE OR REPLACE FUNCTION webhook_job_events() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NOT ${ANY_ENDPOINT_SQL} THEN RETURN NULL; END IF;
    INSERT INTO webhook_events (user_id, type, message_id, data)
    SELECT n.user_id, t.type, n.id, jsonb_build_object('message', ${messageJsonSql('n', o)})
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    CROSS JOIN LATERAL (SELECT CASE n.job_status WHEN 'sending' THEN 'message.started'
                                ELSE 'message.' || n.job_status END AS type) t
    WHERE n.job_status IS DISTINCT FROM o.job_status
      AND (n.job_status IN ('completed', 'partial', 'failed', 'cancelled', 'expired')
           OR n.job_status = 'sending' AND o.job_status IN ('pending', 'scheduled'))
      AND ${subscribedSql('n.user_id', 't.type')};
    RETURN NULL;
  END $$;
  CREATE OR REPLACE FUNCTION webhook_events_fanout() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO webhook_deliveries (endpoint_id, event_id, next_attempt_at, expires_at)
    SELECT e.id, n.id, n.created_at, n.created_at + interval '24 hours'
    FROM new_events n JOIN webhook_endpoints e ON e.user_id = n.user_id AND e.is_active
    WHERE CASE WHEN n.endpoint_id IS NOT NULL THEN e.id = n.endpoint_id
               ELSE n.type = ANY (e.events) OR '*' = ANY (e.events) END;
    IF FOUND THEN PERFORM pg_notify('${WEBHOOK_CHANNEL}', ''); END IF;
    RETURN NULL;
  END $$;`;
