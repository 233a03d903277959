import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateIdempotencyKeys1764300000400 implements MigrationInterface {
  name = 'CreateIdempotencyKeys1764300000400';

  async up(q: QueryRunner): Promise<void> {
    // The key row is inserted in the same transaction as the job, so two concurrent
    // requests with one key serialise on the primary key and only one job is created.
    await q.query(`
      CREATE TABLE idempotency_keys (
        user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        key varchar(200) NOT NULL,
        request_hash char(64) NOT NULL,
        route varchar(16) NOT NULL,
        message_id integer REFERENCES messages (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, key)
      )`);
    await q.query(`CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at)`);
    // Admin content search (q) and per-status listings.
    await q.query(`CREATE INDEX messages_job_status_idx ON messages (job_status, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX messages_job_status_idx`);
    await q.query(`DROP TABLE idempotency_keys`);
  }
}
