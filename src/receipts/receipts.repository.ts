import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { RECIPIENT_EVENT_COLUMNS, recipientEventsSql } from '../webhooks/webhook-events.sql.js';
import type { ReceiptDto } from './dto/receipt.dto.js';

/*
 * Applies receipts in one statement: per gateway id the receipt that counts (a delivered one
 * wins, else the last given), the SMS it names updated only when that changes something and
 * it is not already delivered (final), the jobs' counters, and recipient.delivered /
 * undelivered events in the same statement. A repeated receipt matches no row: no write, no
 * second event.
 */
const APPLY_SQL = `
  WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[]) WITH ORDINALITY
      AS t(gid, status, at, error, ord)
  ), latest AS (
    SELECT DISTINCT ON (gid) gid, status, at, error FROM input
    ORDER BY gid, status = 'delivered' DESC, ord DESC
  ), known AS (
    SELECT r.ctid AS rid, r.delivery_status AS before, l.* FROM recipients r
    JOIN latest l ON r.gateway_message_id = l.gid
  ), upd AS (
    UPDATE recipients r SET delivery_status = k.status,
      delivered_at = coalesce(k.at, clock_timestamp()),
      error_message = CASE WHEN k.status = 'undelivered' THEN coalesce(k.error, r.error_message)
                           ELSE r.error_message END,
      updated_at = clock_timestamp()
    FROM known k
    WHERE r.ctid = k.rid AND r.delivery_status <> 'delivered' AND r.delivery_status <> k.status
    RETURNING r.message_id, r.status, ${RECIPIENT_EVENT_COLUMNS}, k.before
  ), counts AS (
    SELECT message_id,
      count(*) FILTER (WHERE delivery_status = 'delivered')::int AS delivered,
      (count(*) FILTER (WHERE delivery_status = 'undelivered')
        - count(*) FILTER (WHERE before = 'undelivered'))::int AS undelivered
    FROM upd GROUP BY message_id
  ), jobs AS (
    UPDATE messages m SET delivered_count = m.delivered_count + c.delivered,
      undelivered_count = m.undelivered_count + c.undelivered
    FROM counts c WHERE m.id = c.message_id
    RETURNING m.*
  ), hooks AS (${recipientEventsSql('upd', 'jobs', true)})
  SELECT (SELECT count(*) FROM input WHERE gid IN (SELECT gid FROM known))::int AS accepted,
    ARRAY(SELECT DISTINCT gid FROM input WHERE gid NOT IN (SELECT gid FROM known) ORDER BY gid) AS unknown`;

@Injectable()
export class ReceiptsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async apply(receipts: ReceiptDto[]): Promise<{ accepted: number; unknown: string[] }> {
    const [row] = await this.dataSource.query(APPLY_SQL, [
      receipts.map((r) => r.gateway_message_id),
      receipts.map((r) => r.status),
      receipts.map((r) => r.at ?? null),
      receipts.map((r) => r.error ?? null),
    ]);
    return row;
  }
}
