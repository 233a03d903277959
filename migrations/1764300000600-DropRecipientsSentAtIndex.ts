import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Nothing reads recipients by sent_at since the observed rate comes from send_stats, yet every
 * SMS sent added an entry to this index. Dropping it takes one of the index insertions off each
 * send (bench/dispatch).
 */
export class DropRecipientsSentAtIndex1764300000600 implements MigrationInterface {
  name = 'DropRecipientsSentAtIndex1764300000600';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX recipients_sent_at_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX recipients_sent_at_idx ON recipients (sent_at) WHERE sent_at IS NOT NULL`,
    );
  }
}
