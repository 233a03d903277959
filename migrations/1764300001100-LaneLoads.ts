import { MigrationInterface, QueryRunner } from 'typeorm';
import {
  applySql,
  contributionSql,
  type LaneLoadsShape,
  laneLoadsFunctionsSql,
} from './lane-loads-functions.js';

const SHAPE: LaneLoadsShape = { states: ['pending', 'sending'], withExpired: false };

/**
 * Running totals per user and lane of the unfinished jobs (FAIRNESS.md, "Cost"): jobs and SMS
 * still to send, waiting ('pending') and started ('sending'), so queue status, shares and
 * estimates read one row per user instead of walking every unfinished job.
 *
 * Kept by triggers on `messages`, so every write (results, claims, cancel, retry, an
 * operator's UPDATE) keeps them right. A new job is counted at commit (a deferred trigger):
 * a large insert does not hold its user's row locked, which claims and results of the same
 * user need. Updates are counted once per statement from its transition tables (a column
 * list is not allowed with them; a statement that changes nothing the totals use adds
 * nothing). A separate table from `user_lanes` (the fair tags), whose row an enqueue holds
 * for its whole insert.
 */
export class LaneLoads1764300001100 implements MigrationInterface {
  name = 'LaneLoads1764300001100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE lane_loads (
        user_id integer NOT NULL,
        lane smallint NOT NULL,
        pending_jobs integer NOT NULL DEFAULT 0,
        pending_sms bigint NOT NULL DEFAULT 0,
        pending_segments bigint NOT NULL DEFAULT 0,
        sending_jobs integer NOT NULL DEFAULT 0,
        sending_sms bigint NOT NULL DEFAULT 0,
        sending_segments bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, lane)
      )`);
    for (const sql of laneLoadsFunctionsSql(SHAPE)) await q.query(sql);
    await q.query(`
      CREATE CONSTRAINT TRIGGER messages_lane_loads_insert AFTER INSERT ON messages
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION lane_loads_on_insert()`);
    await q.query(`
      CREATE TRIGGER messages_lane_loads_update AFTER UPDATE ON messages REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION lane_loads_on_update()`);
    await q.query(`
      CREATE TRIGGER messages_lane_loads_delete AFTER DELETE ON messages
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION lane_loads_on_delete()`);
    await q.query(applySql(`${contributionSql('m', 1, SHAPE)} FROM messages m`, SHAPE));
    // A user's unfinished jobs in order, per lane: what is ahead of one of them.
    await q.query(`
      CREATE INDEX messages_user_unfinished_idx ON messages (user_id, adhoc, id)
      WHERE job_status IN ('pending', 'sending')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX messages_user_unfinished_idx`);
    await q.query(`DROP TRIGGER messages_lane_loads_delete ON messages`);
    await q.query(`DROP TRIGGER messages_lane_loads_update ON messages`);
    await q.query(`DROP TRIGGER messages_lane_loads_insert ON messages`);
    await q.query(`DROP FUNCTION lane_loads_on_delete, lane_loads_on_update, lane_loads_on_insert`);
    await q.query(`DROP TABLE lane_loads`);
  }
}
