import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { WEBHOOK_CHANNEL } from '../../migrations/webhook-events-functions.js';

export interface EndpointRow {
  id: number;
  user_id: number;
  url: string;
  events: string[];
  description: string | null;
  is_active: boolean;
  disabled_reason: string | null;
  created_at: Date;
  updated_at: Date;
  /** Admin listing only. */
  owner_username?: string | null;
}

export interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: Date | null;
  delivered_at: Date | null;
  created_at: Date;
}

export interface EndpointChanges {
  url?: string;
  events?: string[];
  description?: string | null;
  is_active?: boolean;
}

const ENDPOINT_COLUMNS = `id, user_id, url, events, description, is_active, disabled_reason, created_at, updated_at`;
const OWNER_COLUMN = `, (SELECT username FROM users u WHERE u.id = user_id) AS owner_username`;

/** Endpoints and their delivery log, as their owners manage them. Never reads a secret out. */
@Injectable()
export class WebhooksRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async create(
    userId: number,
    e: { url: string; events: string[]; description: string | null; secret: string },
  ): Promise<EndpointRow> {
    const [row] = await this.dataSource.query(
      `INSERT INTO webhook_endpoints (user_id, url, events, description, secret)
       VALUES ($1, $2, $3, $4, $5) RETURNING ${ENDPOINT_COLUMNS}`,
      [userId, e.url, e.events, e.description, e.secret],
    );
    return row;
  }

  async countOwned(userId: number): Promise<number> {
    const [row] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM webhook_endpoints WHERE user_id = $1`,
      [userId],
    );
    return row.n;
  }

  /** One endpoint; with `userId`, only if it is that user's. */
  async find(id: number, userId?: number): Promise<EndpointRow | null> {
    const rows = await this.dataSource.query(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND ($2::int IS NULL OR user_id = $2)`,
      [id, userId ?? null],
    );
    return rows[0] ?? null;
  }

  async list(
    f: { userId?: number; withOwner?: boolean },
    offset: number,
    limit: number,
  ): Promise<{ items: EndpointRow[]; total: number }> {
    const where = `($1::int IS NULL OR user_id = $1)`;
    const [items, count] = await Promise.all([
      this.dataSource.query(
        `SELECT ${ENDPOINT_COLUMNS}${f.withOwner ? OWNER_COLUMN : ''} FROM webhook_endpoints
         WHERE ${where} ORDER BY id DESC OFFSET $2 LIMIT $3`,
        [f.userId ?? null, offset, limit],
      ),
      this.dataSource.query(`SELECT count(*)::int AS n FROM webhook_endpoints WHERE ${where}`, [
        f.userId ?? null,
      ]),
    ]);
    return { items, total: count[0].n };
  }

  /**
   * Applies the changes to the user's endpoint. Turning it back on clears why it was
   * turned off and the failure streak that did it.
   */
  async update(id: number, userId: number, c: EndpointChanges): Promise<EndpointRow | null> {
    const [rows] = await this.dataSource.query(
      `UPDATE webhook_endpoints SET
         url = coalesce($3, url), events = coalesce($4, events),
         description = CASE WHEN $5 THEN $6 ELSE description END,
         is_active = coalesce($7, is_active),
         disabled_reason = CASE WHEN $7 THEN NULL ELSE disabled_reason END,
         failing_since = CASE WHEN $7 THEN NULL ELSE failing_since END,
         updated_at = now()
       WHERE id = $1 AND user_id = $2 RETURNING ${ENDPOINT_COLUMNS}`,
      [
        id,
        userId,
        c.url ?? null,
        c.events ?? null,
        c.description !== undefined,
        c.description ?? null,
        c.is_active ?? null,
      ],
    );
    return rows[0] ?? null;
  }

  async delete(id: number, userId: number): Promise<boolean> {
    const [, count] = await this.dataSource.query(
      `DELETE FROM webhook_endpoints WHERE id = $1 AND user_id = $2`,
      [id, userId],
    );
    return count > 0;
  }

  async setSecret(id: number, userId: number, secret: string): Promise<boolean> {
    const [, count] = await this.dataSource.query(
      `UPDATE webhook_endpoints SET secret = $3, updated_at = now() WHERE id = $1 AND user_id = $2`,
      [id, userId, secret],
    );
    return count > 0;
  }

  /** A `ping` event for this one endpoint; its delivery is made by the fan-out trigger. */
  async ping(endpoint: EndpointRow, at: Date): Promise<string> {
    const [row] = await this.dataSource.query(
      `INSERT INTO webhook_events (user_id, type, endpoint_id, data)
       VALUES ($1, 'ping', $2, jsonb_build_object('webhook', jsonb_build_object('id', $2::int, 'url', $3::text), 'sent_at', $4::text))
       RETURNING public_id`,
      [endpoint.user_id, endpoint.id, endpoint.url, at.toISOString()],
    );
    return row.public_id;
  }

  async deliveries(
    endpointId: number,
    status: string | undefined,
    offset: number,
    limit: number,
  ): Promise<{ items: DeliveryRow[]; total: number }> {
    const where = `d.endpoint_id = $1 AND ($2::text IS NULL OR d.status = $2)`;
    const [items, count] = await Promise.all([
      this.dataSource.query(
        `SELECT d.id::text, ev.public_id AS event_id, ev.type AS event_type, d.status, d.attempts,
           d.last_status_code, d.last_error,
           CASE WHEN d.status = 'pending' THEN d.next_attempt_at END AS next_attempt_at,
           d.delivered_at, d.created_at
         FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id
         WHERE ${where} ORDER BY d.id DESC OFFSET $3 LIMIT $4`,
        [endpointId, status ?? null, offset, limit],
      ),
      this.dataSource.query(`SELECT count(*)::int AS n FROM webhook_deliveries d WHERE ${where}`, [
        endpointId,
        status ?? null,
      ]),
    ]);
    return { items, total: count[0].n };
  }

  /**
   * Sends a delivery again from now, with a fresh retry schedule of 24 h (the receiver
   * dedupes by event id). One in flight right now is left to finish: 'busy'; null: no such delivery of the endpoint.
   */
  async redeliver(endpointId: number, deliveryId: string): Promise<DeliveryRow | null | 'busy'> {
    return this.dataSource.transaction(async (tx) => {
      const [d] = await tx.query(
        `SELECT status, lease_expires_at > clock_timestamp() AS leased FROM webhook_deliveries
         WHERE id = $1 AND endpoint_id = $2 FOR UPDATE`,
        [deliveryId, endpointId],
      );
      if (!d) return null;
      if (d.status === 'pending' && d.leased) return 'busy';
      await tx.query(
        `UPDATE webhook_deliveries SET status = 'pending', attempts = 0,
           next_attempt_at = clock_timestamp(), expires_at = clock_timestamp() + interval '24 hours',
           delivered_at = NULL, lease_owner = NULL, lease_expires_at = NULL
         WHERE id = $1`,
        [deliveryId],
      );
      await tx.query(`SELECT pg_notify($1, '')`, [WEBHOOK_CHANNEL]);
      const [row] = await tx.query(
        `SELECT d.id::text, ev.public_id AS event_id, ev.type AS event_type, d.status, d.attempts,
           d.last_status_code, d.last_error, d.next_attempt_at, d.delivered_at, d.created_at
         FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id WHERE d.id = $1`,
        [deliveryId],
      );
      return row;
    });
  }
}
