import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateUsers1764300000000 implements MigrationInterface {
  name = 'CreateUsers1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        username varchar(64) NOT NULL,
        password_hash text NOT NULL,
        api_token_hash char(64),
        session_version integer NOT NULL DEFAULT 0,
        is_admin boolean NOT NULL DEFAULT false,
        is_active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Usernames are unique regardless of case ("Alice" and "alice" are one account).
    await q.query(`CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username))`);
    await q.query(`CREATE UNIQUE INDEX users_api_token_hash_key ON users (api_token_hash)`);
    await q.query(`
      CREATE TABLE app_settings (
        key varchar(100) PRIMARY KEY,
        value text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Login attempt counters (rate-limiter-flexible's layout), shared by every process.
    await q.query(`
      CREATE TABLE login_attempts (
        key varchar(255) PRIMARY KEY,
        points integer NOT NULL DEFAULT 0,
        expire bigint
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE login_attempts`);
    await q.query(`DROP TABLE app_settings`);
    await q.query(`DROP TABLE users`);
  }
}
