import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Templates (CONTENT.md): a user's message texts with `{{placeholders}}`. Every change makes
 * a new version, kept in template_versions; a job records the template and version it was
 * made from beside the content it was rendered to, so later edits or a deletion leave it be
 * (no foreign key from messages: a deleted template's jobs keep their numbers).
 */
export class Templates1764300001650 implements MigrationInterface {
  name = 'Templates1764300001650';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE templates (
        id serial PRIMARY KEY,
        user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name varchar(100) NOT NULL,
        content text NOT NULL,
        placeholders text[] NOT NULL,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX templates_user_id_idx ON templates (user_id, id)`);
    await q.query(`
      CREATE TABLE template_versions (
        template_id integer NOT NULL REFERENCES templates(id) ON DELETE CASCADE,
        version integer NOT NULL,
        name varchar(100) NOT NULL,
        content text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (template_id, version)
      )`);
    await q.query(`
      ALTER TABLE messages
        ADD COLUMN template_id integer,
        ADD COLUMN template_version integer`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE messages DROP COLUMN template_id, DROP COLUMN template_version`);
    await q.query(`DROP TABLE template_versions`);
    await q.query(`DROP TABLE templates`);
  }
}
