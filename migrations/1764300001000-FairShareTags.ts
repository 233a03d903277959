import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fair share between users (FAIRNESS.md): every recipient carries a virtual tag, and claims
 * take waiting SMS by lane, then tag. A user's SMS are tagged `start + k × cost / weight`
 * when queued, where `start` is where the user's last tag ended or the lane's virtual clock
 * (the largest tag claimed so far), whichever is later: backlogged users interleave by weight,
 * and one that comes back after a pause joins at the present instead of ahead of everyone
 * (start-time fair queueing). Rows waiting at the migration go first, in their old order.
 */
export class FairShareTags1764300001000 implements MigrationInterface {
  name = 'FairShareTags1764300001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE recipients ADD COLUMN vtag double precision NOT NULL DEFAULT 0`);
    // SMS already waiting keep their old order (job, then recipient), below every new tag:
    // negative, and exact in a double (2^31 jobs, 2^20 recipients a job).
    await q.query(`
      UPDATE recipients SET vtag = (message_id - 2147483648)::float8 + ordinal::float8 / 1048576
      WHERE status = 'pending'`);
    await q.query(`DROP INDEX recipients_claim_idx`);
    // As narrow as the old (priority, message_id, ordinal): a job's tags are distinct, and
    // equal tags of two users may go in either order.
    await q.query(`
      CREATE INDEX recipients_claim_idx ON recipients (priority, vtag) WHERE status = 'pending'`);
    await q.query(`
      CREATE TABLE lane_clocks (
        lane smallint PRIMARY KEY,
        vtime double precision NOT NULL DEFAULT 0
      )`);
    await q.query(`INSERT INTO lane_clocks (lane) VALUES (0), (1)`);
    await q.query(`
      CREATE TABLE user_lanes (
        user_id integer NOT NULL,
        lane smallint NOT NULL,
        last_tag double precision NOT NULL,
        PRIMARY KEY (user_id, lane)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE user_lanes`);
    await q.query(`DROP TABLE lane_clocks`);
    await q.query(`DROP INDEX recipients_claim_idx`);
    await q.query(`
      CREATE INDEX recipients_claim_idx ON recipients (priority, message_id, ordinal)
      WHERE status = 'pending'`);
    await q.query(`ALTER TABLE recipients DROP COLUMN vtag`);
  }
}
