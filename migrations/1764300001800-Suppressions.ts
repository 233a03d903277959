import { MigrationInterface, QueryRunner } from 'typeorm';
import { laneLoadsFunctionsSql } from './lane-loads-functions.js';
import { webhookFunctionsSql } from './webhook-events-functions.js';

const RECIPIENT_STATUSES = `'pending', 'sending', 'sent', 'failed', 'cancelled', 'held', 'expired'`;

const SHAPE = {
  states: ['pending', 'sending', 'scheduled'],
  withExpired: true,
  parkedHoldNoShare: true,
  startedCountOnly: true,
};

const startedLoadsView = (minus: string) => `
  CREATE OR REPLACE VIEW started_loads AS
  SELECT coalesce(user_id, 0) AS user_id, CASE WHEN adhoc THEN 0 ELSE 1 END AS lane,
    sum(recipient_count - sent_count - failed_count - cancelled_count - expired_count${minus})::bigint AS sms,
    sum((recipient_count - sent_count - failed_count - cancelled_count - expired_count${minus}) * segments)::bigint AS segments
  FROM messages WHERE job_status = 'sending' AND resume_at IS NULL
  GROUP BY 1, 2`;

/**
 * The suppression list (CONTENT.md, opt-out): numbers in E.164, the table's key, so the
 * submission and the claim test a number with one probe of the primary key (and the claim
 * skips even that while the list is empty). A suppressed recipient is a new final state,
 * counted in the job's `suppressed_count`: the running totals (lane_loads, started_loads)
 * and the events' pending_count subtract it like the other final states. created_by keeps
 * the admin's id (null once that user is deleted: the entry stays).
 */
export class Suppressions1764300001800 implements MigrationInterface {
  name = 'Suppressions1764300001800';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE suppressions (
        phone varchar(20) PRIMARY KEY,
        reason varchar(500),
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by integer REFERENCES users (id) ON DELETE SET NULL
      )`);
    await q.query(`
      ALTER TABLE messages
        ADD COLUMN suppressed_count integer NOT NULL DEFAULT 0,
        DROP CONSTRAINT messages_check,
        ADD CONSTRAINT messages_check CHECK (
          sent_count + failed_count + cancelled_count + expired_count + suppressed_count <= recipient_count)`);
    await q.query(`
      ALTER TABLE recipients DROP CONSTRAINT recipients_status_check,
        ADD CONSTRAINT recipients_status_check CHECK (status IN (${RECIPIENT_STATUSES}, 'suppressed'))`);
    for (const sql of laneLoadsFunctionsSql({ ...SHAPE, withSuppressed: true })) await q.query(sql);
    await q.query(startedLoadsView(' - suppressed_count'));
    await q.query(webhookFunctionsSql({ withReceipts: true, withSuppressed: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    // Without the state, a suppressed SMS reads as cancelled (never sent, no error); moved
    // while the totals still subtract both, so they stay as they are.
    await q.query(`UPDATE recipients SET status = 'cancelled' WHERE status = 'suppressed'`);
    await q.query(`
      UPDATE messages SET cancelled_count = cancelled_count + suppressed_count, suppressed_count = 0
      WHERE suppressed_count > 0`);
    await q.query(webhookFunctionsSql({ withReceipts: true }));
    await q.query(startedLoadsView(''));
    for (const sql of laneLoadsFunctionsSql(SHAPE)) await q.query(sql);
    await q.query(`
      ALTER TABLE recipients DROP CONSTRAINT recipients_status_check,
        ADD CONSTRAINT recipients_status_check CHECK (status IN (${RECIPIENT_STATUSES}))`);
    await q.query(`
      ALTER TABLE messages DROP CONSTRAINT messages_check,
        ADD CONSTRAINT messages_check
          CHECK (sent_count + failed_count + cancelled_count + expired_count <= recipient_count),
        DROP COLUMN suppressed_count`);
    await q.query(`DROP TABLE suppressions`);
  }
}
