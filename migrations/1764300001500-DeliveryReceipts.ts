import { MigrationInterface, QueryRunner } from 'typeorm';
import { webhookFunctionsSql } from './webhook-events-functions.js';

/**
 * Delivery receipts (WEBHOOKS.md): the gateway's message id of each SMS (indexed, for the
 * receipts it later posts), whether the handset got it, and per job how many did and did
 * not. Events carry the new fields from now on.
 */
export class DeliveryReceipts1764300001500 implements MigrationInterface {
  name = 'DeliveryReceipts1764300001500';

  async up(q: QueryRunner): Promise<void> {
    // Constant defaults: no table rewrite.
    await q.query(`
      ALTER TABLE recipients
        ADD COLUMN gateway_message_id varchar(200),
        ADD COLUMN delivery_status varchar(12) NOT NULL DEFAULT 'unknown'
          CHECK (delivery_status IN ('unknown', 'delivered', 'undelivered')),
        ADD COLUMN delivered_at timestamptz`);
    // Only SMS the gateway named are in it (receipts find them by that name).
    await q.query(`
      CREATE INDEX recipients_gateway_message_id_idx ON recipients (gateway_message_id)
      WHERE gateway_message_id IS NOT NULL`);
    await q.query(`
      ALTER TABLE messages
        ADD COLUMN delivered_count integer NOT NULL DEFAULT 0,
        ADD COLUMN undelivered_count integer NOT NULL DEFAULT 0`);
    await q.query(webhookFunctionsSql({ withReceipts: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(webhookFunctionsSql({ withReceipts: false }));
    await q.query(
      `ALTER TABLE messages DROP COLUMN delivered_count, DROP COLUMN undelivered_count`,
    );
    await q.query(`DROP INDEX recipients_gateway_message_id_idx`);
    await q.query(`
      ALTER TABLE recipients DROP COLUMN gateway_message_id, DROP COLUMN delivery_status,
        DROP COLUMN delivered_at`);
  }
}
