import { MigrationInterface, QueryRunner } from 'typeorm';
import { laneLoadsFunctionsSql } from './lane-loads-functions.js';

/** The job states lane_loads keeps totals of (since ScheduledJobs). */
const STATES = ['pending', 'sending', 'scheduled'];

const JOB_STATUSES = `'pending', 'sending', 'completed', 'partial', 'failed', 'cancelled', 'scheduled', 'expired'`;
const RECIPIENT_STATUSES = `'pending', 'sending', 'sent', 'failed', 'cancelled', 'held', 'expired'`;

/**
 * Validity (SCHEDULING.md): a job may carry `valid_until`; an SMS whose request has not been
 * made by then becomes `expired`, a final state counted in `expired_count`, and a job with
 * none sent and all expired is `expired` (the old `status` says `failed`). The checks keep
 * ScheduledJobs' 'scheduled' (job) and 'held' (recipient) states.
 */
export class Validity1764300001300 implements MigrationInterface {
  name = 'Validity1764300001300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE messages
        ADD COLUMN valid_until timestamptz,
        ADD COLUMN expired_count integer NOT NULL DEFAULT 0,
        DROP CONSTRAINT IF EXISTS messages_job_status_check,
        ADD CONSTRAINT messages_job_status_check CHECK (job_status IN (${JOB_STATUSES})),
        DROP CONSTRAINT IF EXISTS messages_check,
        ADD CONSTRAINT messages_check
          CHECK (sent_count + failed_count + cancelled_count + expired_count <= recipient_count)`);
    await q.query(`
      ALTER TABLE recipients
        DROP CONSTRAINT IF EXISTS recipients_status_check,
        ADD CONSTRAINT recipients_status_check CHECK (status IN (${RECIPIENT_STATUSES}))`);
    // The old panel's field, derived: a generated column's expression cannot be changed in
    // place before PostgreSQL 17.
    await q.query(`ALTER TABLE messages DROP COLUMN status`);
    await q.query(`
      ALTER TABLE messages ADD COLUMN status varchar(10) GENERATED ALWAYS AS (
        CASE job_status WHEN 'sending' THEN 'pending' WHEN 'scheduled' THEN 'pending'
          WHEN 'completed' THEN 'sent' WHEN 'expired' THEN 'failed' ELSE job_status END
      ) STORED`);
    // The expiry sweep finds the next job to expire with one probe.
    await q.query(`
      CREATE INDEX messages_valid_until_idx ON messages (valid_until)
      WHERE valid_until IS NOT NULL AND job_status IN ('pending', 'sending', 'scheduled')`);
    // Expired SMS are no longer waiting: the running totals subtract them.
    for (const sql of laneLoadsFunctionsSql({ states: STATES, withExpired: true }))
      await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of laneLoadsFunctionsSql({ states: STATES, withExpired: false }))
      await q.query(sql);
    await q.query(`DROP INDEX messages_valid_until_idx`);
    await q.query(`
      ALTER TABLE recipients DROP CONSTRAINT recipients_status_check,
        ADD CONSTRAINT recipients_status_check
          CHECK (status IN (${RECIPIENT_STATUSES.replace(", 'expired'", '')}))`);
    await q.query(`ALTER TABLE messages DROP COLUMN status`);
    await q.query(`
      ALTER TABLE messages ADD COLUMN status varchar(10) GENERATED ALWAYS AS (
        CASE job_status WHEN 'sending' THEN 'pending' WHEN 'scheduled' THEN 'pending'
          WHEN 'completed' THEN 'sent' ELSE job_status END
      ) STORED`);
    await q.query(`
      ALTER TABLE messages DROP CONSTRAINT messages_job_status_check,
        ADD CONSTRAINT messages_job_status_check
          CHECK (job_status IN (${JOB_STATUSES.replace(", 'expired'", '')})),
        DROP CONSTRAINT messages_check,
        ADD CONSTRAINT messages_check CHECK (sent_count + failed_count + cancelled_count <= recipient_count),
        DROP COLUMN expired_count, DROP COLUMN valid_until`);
  }
}
