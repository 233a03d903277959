import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateQueueRuntime1764300000300 implements MigrationInterface {
  name = 'CreateQueueRuntime1764300000300';

  async up(q: QueryRunner): Promise<void> {
    // Gateway requests per second, written with each batch of results: the observed rate
    // and the throughput chart read a minute or ten of these rows instead of the recipients.
    await q.query(`
      CREATE TABLE send_stats (
        second timestamptz PRIMARY KEY,
        requests integer NOT NULL DEFAULT 0,
        sent integer NOT NULL DEFAULT 0,
        failed integer NOT NULL DEFAULT 0,
        retried integer NOT NULL DEFAULT 0
      )`);
    // One row per live worker process, refreshed by its heartbeat; a row past expires_at
    // is a process that died.
    await q.query(`
      CREATE TABLE workers (
        id varchar(64) PRIMARY KEY,
        hostname varchar(255) NOT NULL,
        pid integer NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await q.query(
      `INSERT INTO app_settings (key, value) VALUES ('queue_paused', 'false') ON CONFLICT DO NOTHING`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM app_settings WHERE key = 'queue_paused'`);
    await q.query(`DROP TABLE workers`);
    await q.query(`DROP TABLE send_stats`);
  }
}
