import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateRevokedSessions1764300000800 implements MigrationInterface {
  name = 'CreateRevokedSessions1764300000800';

  async up(q: QueryRunner): Promise<void> {
    // Session tokens ended by a logout before they expire, by their jti claim. A row is
    // needed only until the token would have expired anyway; expired rows are pruned.
    await q.query(`
      CREATE TABLE revoked_sessions (
        jti varchar(64) PRIMARY KEY,
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX revoked_sessions_expires_idx ON revoked_sessions (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE revoked_sessions`);
  }
}
