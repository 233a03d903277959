import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Event history of one SMS (WEBHOOKS.md): a compact log of the gateway requests that were
 * retried or failed, written by the result statement itself (a set-based INSERT beside the
 * UPDATE it already makes). Everything else in the history is derived: `queued` from the
 * job's created_at, the attempt that sent it and `sent` from the recipient's own columns
 * (attempts, sent_at, gateway_response), the other final states and receipts from the
 * recipient too; nothing is written at ingest, nor for an SMS sent at the first try
 * (measured: a row for every request cost bench/dispatch about 18 % of its rate). No primary key and no identity (nothing to
 * keep unique, one index fewer per attempt); the lookup index leads with the job like the
 * recipients' key; pruning by age reads a BRIN index (rows arrive in time order).
 */
export class SmsAttempts1764300001600 implements MigrationInterface {
  name = 'SmsAttempts1764300001600';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sms_attempts (
        message_id integer NOT NULL,
        recipient_id bigint NOT NULL,
        attempt integer NOT NULL,
        outcome varchar(10) NOT NULL CHECK (outcome IN ('failed', 'retry')),
        -- The gateway's answer or the error, at most 500 characters.
        detail text,
        -- For a retry: when the next attempt is due.
        retry_at timestamptz,
        at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(
      `CREATE INDEX sms_attempts_recipient_idx ON sms_attempts (message_id, recipient_id)`,
    );
    await q.query(`CREATE INDEX sms_attempts_at_idx ON sms_attempts USING brin (at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sms_attempts`);
  }
}
