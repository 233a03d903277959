import { MigrationInterface, QueryRunner } from 'typeorm';
import { webhookJobInsertedSql } from './webhook-events-functions.js';

/**
 * `message.completed` for a job that is complete when written (all its numbers suppressed):
 * a row trigger whose WHEN clause keeps it off every other submission.
 */
export class WebhookJobInsertedEvent1764300002100 implements MigrationInterface {
  name = 'WebhookJobInsertedEvent1764300002100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(webhookJobInsertedSql({ withReceipts: true, withSuppressed: true }));
    await q.query(`
      CREATE TRIGGER messages_webhook_inserted_final AFTER INSERT ON messages
      FOR EACH ROW WHEN (NEW.completed_at IS NOT NULL)
      EXECUTE FUNCTION webhook_job_inserted()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER messages_webhook_inserted_final ON messages`);
    await q.query(`DROP FUNCTION webhook_job_inserted()`);
  }
}
