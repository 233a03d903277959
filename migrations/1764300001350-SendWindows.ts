import { MigrationInterface, QueryRunner } from 'typeorm';
import { applySql, contributionSql, laneLoadsFunctionsSql } from './lane-loads-functions.js';

const STATES = ['pending', 'sending', 'scheduled'];

/**
 * Send windows (SCHEDULING.md, quiet hours): a job may carry a daily window (minutes of the
 * day and an IANA zone; all NULL: always). While it is closed the job's waiting SMS are
 * `held` (outside the claim index) and `resume_at` is the next opening, released like a
 * scheduled job; `window_closes_at` is when the current opening of an active windowed job
 * ends, when the same scheduler holds them again. A job with SMS held holds no share: the
 * lane totals leave it out (rebuilt here from the jobs, under the new rule).
 */
export class SendWindows1764300001350 implements MigrationInterface {
  name = 'SendWindows1764300001350';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE messages
        ADD COLUMN window_start smallint CHECK (window_start BETWEEN 0 AND 1439),
        ADD COLUMN window_end smallint CHECK (window_end BETWEEN 0 AND 1439),
        ADD COLUMN window_tz text,
        ADD COLUMN window_closes_at timestamptz,
        ADD CONSTRAINT messages_window_check CHECK (
          (window_start IS NULL) = (window_end IS NULL) AND (window_start IS NULL) = (window_tz IS NULL))`);
    await q.query(`
      CREATE INDEX messages_window_closes_at_idx ON messages (window_closes_at)
      WHERE window_closes_at IS NOT NULL`);
    await this.rebuild(q, true);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE recipients SET status = 'pending' WHERE status = 'held'
      AND message_id IN (SELECT id FROM messages WHERE job_status <> 'scheduled')`);
    await q.query(`UPDATE messages SET resume_at = NULL WHERE job_status <> 'scheduled'`);
    await this.rebuild(q, false);
    await q.query(`DROP INDEX messages_window_closes_at_idx`);
    await q.query(`
      ALTER TABLE messages DROP CONSTRAINT messages_window_check, DROP COLUMN window_closes_at,
        DROP COLUMN window_tz, DROP COLUMN window_end, DROP COLUMN window_start`);
  }

  /** The trigger functions under the rule, and the totals recomputed by it. */
  private async rebuild(q: QueryRunner, parkedHoldNoShare: boolean): Promise<void> {
    const shape = { states: STATES, withExpired: true, parkedHoldNoShare };
    for (const sql of laneLoadsFunctionsSql(shape)) await q.query(sql);
    await q.query(`DELETE FROM lane_loads`);
    await q.query(applySql(`${contributionSql('m', 1, shape)} FROM messages m`, shape));
  }
}
