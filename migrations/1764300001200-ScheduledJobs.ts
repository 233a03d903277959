import { MigrationInterface, QueryRunner } from 'typeorm';
import { laneLoadsFunctionsSql } from './lane-loads-functions.js';

const JOB_STATUSES = `'pending', 'sending', 'completed', 'partial', 'failed', 'cancelled'`;
const RECIPIENT_STATUSES = `'pending', 'sending', 'sent', 'failed', 'cancelled'`;

/** The old panel's `status`, derived from job_status; `scheduled` reads as `pending` to it. */
const legacyStatus = (scheduled: boolean) => `
  ALTER TABLE messages ADD COLUMN status varchar(10) GENERATED ALWAYS AS (
    CASE job_status WHEN 'sending' THEN 'pending'${scheduled ? ` WHEN 'scheduled' THEN 'pending'` : ''}
      WHEN 'completed' THEN 'sent' ELSE job_status END
  ) STORED`;

/**
 * Scheduled send (SCHEDULING.md): a job with `send_at` ahead is `scheduled` and its recipients
 * `held`, outside the claim index (recipients_claim_idx covers 'pending' only), untagged and
 * counted in no lane, so a large scheduled job costs claims nothing. At `resume_at` a release
 * step tags them like a new submission and makes them 'pending'. `resume_at` is the due time
 * of the job's held SMS, NULL when none are held; its partial index is what the release
 * scheduler sleeps on (send windows will hold and release through the same column).
 * lane_loads gains totals of scheduled jobs, for queue status without walking them.
 */
export class ScheduledJobs1764300001200 implements MigrationInterface {
  name = 'ScheduledJobs1764300001200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE messages ADD COLUMN send_at timestamptz`);
    await q.query(`ALTER TABLE messages ADD COLUMN resume_at timestamptz`);
    await q.query(
      `CREATE INDEX messages_resume_at_idx ON messages (resume_at) WHERE resume_at IS NOT NULL`,
    );
    // The CHECKs were created unnamed in CreateMessages: PostgreSQL named them <table>_<column>_check.
    await q.query(`ALTER TABLE messages DROP CONSTRAINT messages_job_status_check`);
    await q.query(`
      ALTER TABLE messages ADD CONSTRAINT messages_job_status_check
        CHECK (job_status IN (${JOB_STATUSES}, 'scheduled'))`);
    await q.query(`ALTER TABLE recipients DROP CONSTRAINT recipients_status_check`);
    await q.query(`
      ALTER TABLE recipients ADD CONSTRAINT recipients_status_check
        CHECK (status IN (${RECIPIENT_STATUSES}, 'held'))`);
    // A generated column's expression cannot be changed in place before PostgreSQL 17.
    await q.query(`ALTER TABLE messages DROP COLUMN status`);
    await q.query(legacyStatus(true));
    await q.query(`
      ALTER TABLE lane_loads ADD COLUMN scheduled_jobs integer NOT NULL DEFAULT 0,
        ADD COLUMN scheduled_sms bigint NOT NULL DEFAULT 0,
        ADD COLUMN scheduled_segments bigint NOT NULL DEFAULT 0`);
    for (const sql of laneLoadsFunctionsSql({
      states: ['pending', 'sending', 'scheduled'],
      withExpired: false,
    }))
      await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    // Scheduled jobs are released as they stand: sent as soon as possible.
    await q.query(`
      UPDATE recipients SET status = 'pending'
      WHERE status = 'held'`);
    await q.query(`UPDATE messages SET job_status = 'pending' WHERE job_status = 'scheduled'`);
    for (const sql of laneLoadsFunctionsSql({ states: ['pending', 'sending'], withExpired: false }))
      await q.query(sql);
    await q.query(`
      ALTER TABLE lane_loads DROP COLUMN scheduled_jobs, DROP COLUMN scheduled_sms,
        DROP COLUMN scheduled_segments`);
    await q.query(`ALTER TABLE messages DROP COLUMN status`);
    await q.query(legacyStatus(false));
    await q.query(`ALTER TABLE recipients DROP CONSTRAINT recipients_status_check`);
    await q.query(`
      ALTER TABLE recipients ADD CONSTRAINT recipients_status_check
        CHECK (status IN (${RECIPIENT_STATUSES}))`);
    await q.query(`ALTER TABLE messages DROP CONSTRAINT messages_job_status_check`);
    await q.query(`
      ALTER TABLE messages ADD CONSTRAINT messages_job_status_check
        CHECK (job_status IN (${JOB_STATUSES}))`);
    await q.query(`DROP INDEX messages_resume_at_idx`);
    await q.query(`ALTER TABLE messages DROP COLUMN resume_at`);
    await q.query(`ALTER TABLE messages DROP COLUMN send_at`);
  }
}
