import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Personalised bulk (CONTENT.md): a recipient whose rendered text differs from its job's keeps
 * its own text and segment count; plain recipients leave both null and are sent the job's
 * text, as before (nullable columns without a default: no table rewrite, and plain inserts
 * do not name them). A personalised job keeps its template text as content, the largest
 * segment count as segments and the sum as total_segments.
 */
export class PersonalisedRecipients1764300001700 implements MigrationInterface {
  name = 'PersonalisedRecipients1764300001700';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE recipients ADD COLUMN content text, ADD COLUMN segments smallint`);
    await q.query(`
      ALTER TABLE messages
        ADD COLUMN personalised boolean NOT NULL DEFAULT false,
        ADD COLUMN total_segments integer`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE messages DROP COLUMN personalised, DROP COLUMN total_segments`);
    await q.query(`ALTER TABLE recipients DROP COLUMN content, DROP COLUMN segments`);
  }
}
