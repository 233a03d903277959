import { MigrationInterface, QueryRunner } from 'typeorm';
import { webhookFunctionsSql } from './webhook-events-functions.js';

/**
 * Webhooks (WEBHOOKS.md): endpoints, an outbox of events and one delivery per event and
 * endpoint. Events are written by the statement that makes the change they report (job
 * status changes by a trigger on messages; SMS results by the result and expiry statements
 * themselves), and only for users with an active endpoint that takes the type: with no
 * endpoint the SMS path writes nothing more. Deliveries are made from events by a trigger,
 * so every writer of events gets them alike.
 */
export class Webhooks1764300001400 implements MigrationInterface {
  name = 'Webhooks1764300001400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_endpoints (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        url varchar(2000) NOT NULL,
        events text[] NOT NULL CHECK (cardinality(events) > 0),
        description varchar(500),
        -- The whole whsec_... string: needed in clear to sign; never answered after creation.
        secret text NOT NULL,
        is_active boolean NOT NULL DEFAULT true,
        disabled_reason text,
        -- Since when every delivery attempt failed (null after a success): deactivation rule.
        failing_since timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX webhook_endpoints_user_idx ON webhook_endpoints (user_id, id)`);
    await q.query(`
      CREATE TABLE webhook_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        public_id text NOT NULL DEFAULT 'evt_' || replace(gen_random_uuid()::text, '-', ''),
        user_id integer NOT NULL,
        type varchar(40) NOT NULL,
        -- Set for a ping: the one endpoint it goes to.
        endpoint_id integer,
        message_id integer,
        data jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE INDEX webhook_events_created_idx ON webhook_events (created_at)`);
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        endpoint_id integer NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
        event_id bigint NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
        status varchar(10) NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        -- Retries stop here (24 h after the event, or after a redelivery was asked for).
        expires_at timestamptz NOT NULL,
        lease_owner varchar(64),
        lease_expires_at timestamptz,
        last_status_code integer,
        last_error text,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    // What the delivery loops look for: due deliveries per endpoint.
    await q.query(`
      CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (endpoint_id, next_attempt_at)
      WHERE status = 'pending'`);
    await q.query(
      `CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (endpoint_id, id DESC)`,
    );
    await q.query(`CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_id)`);
    await q.query(webhookFunctionsSql({ withReceipts: false }));
    await q.query(`
      CREATE TRIGGER messages_webhook_events AFTER UPDATE ON messages
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION webhook_job_events()`);
    await q.query(`
      CREATE TRIGGER webhook_events_fanout AFTER INSERT ON webhook_events
      REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION webhook_events_fanout()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER messages_webhook_events ON messages`);
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE webhook_events`);
    await q.query(`DROP TABLE webhook_endpoints`);
    await q.query(`DROP FUNCTION webhook_job_events, webhook_events_fanout`);
  }
}
