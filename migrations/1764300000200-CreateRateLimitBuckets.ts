import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateRateLimitBuckets1764300000200 implements MigrationInterface {
  name = 'CreateRateLimitBuckets1764300000200';

  async up(q: QueryRunner): Promise<void> {
    // One row per bucket, shared by every process. tokens is as of updated_at, which lies in
    // the future while a drain (gateway 429) holds the bucket.
    await q.query(`
      CREATE TABLE rate_limit_buckets (
        name text PRIMARY KEY,
        msgs_per_sec double precision NOT NULL CHECK (msgs_per_sec > 0),
        burst_capacity integer NOT NULL CHECK (burst_capacity > 0),
        tokens double precision NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE rate_limit_buckets`);
  }
}
