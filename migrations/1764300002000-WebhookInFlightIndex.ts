import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The delivery loops count each endpoint's deliveries in flight (claimed, lease running) on
 * every claim and every idle wait. A receiver that hangs or is down piles up pending
 * deliveries behind its few in flight: without this index each count walked all of them.
 * Claimed rows are few (WEBHOOK_CONCURRENCY per endpoint), so the index stays tiny.
 */
export class WebhookInFlightIndex1764300002000 implements MigrationInterface {
  name = 'WebhookInFlightIndex1764300002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX webhook_deliveries_in_flight_idx ON webhook_deliveries (endpoint_id, lease_expires_at)
      WHERE status = 'pending' AND lease_owner IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX webhook_deliveries_in_flight_idx`);
  }
}
