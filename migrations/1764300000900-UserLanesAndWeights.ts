import { MigrationInterface, QueryRunner } from 'typeorm';

export class UserLanesAndWeights1764300000900 implements MigrationInterface {
  name = 'UserLanesAndWeights1764300000900';

  async up(q: QueryRunner): Promise<void> {
    // The right to send on the urgent lane. Users that exist before this migration keep it
    // (the old panel let everyone mark a job urgent): the column is added with DEFAULT true,
    // which fills every existing row, and the default then becomes false for new users.
    await q.query(`ALTER TABLE users ADD COLUMN can_send_urgent boolean NOT NULL DEFAULT true`);
    await q.query(`ALTER TABLE users ALTER COLUMN can_send_urgent SET DEFAULT false`);
    // The user's share of the rate inside a lane (FAIRNESS.md), relative to other users'.
    await q.query(
      `ALTER TABLE users ADD COLUMN weight smallint NOT NULL DEFAULT 1
         CONSTRAINT users_weight_range CHECK (weight BETWEEN 1 AND 100)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users DROP COLUMN weight`);
    await q.query(`ALTER TABLE users DROP COLUMN can_send_urgent`);
  }
}
