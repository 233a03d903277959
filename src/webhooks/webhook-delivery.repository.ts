import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { WEBHOOK_CHANNEL } from '../../migrations/webhook-events-functions.js';

export interface ClaimedDelivery {
  id: string;
  endpointId: number;
  /** Including the attempt this claim starts. */
  attempts: number;
  url: string;
  secret: string;
  /** Epoch ms: when the endpoint's current run of failures began; null when none. */
  failingSince: number | null;
  /** Epoch ms: retries stop after it. */
  expiresAt: number;
  eventId: string;
  eventType: string;
  /** The event as sent: `{id, type, created_at, data}`. */
  body: string;
}

export type DeliveryOutcome =
  | { kind: 'delivered'; statusCode: number; at: Date }
  | {
      kind: 'retry' | 'failed';
      statusCode: number | null;
      error: string;
      at: Date;
      nextAttemptAt?: Date;
      /** The endpoint failed for 24 h: turn it off with this reason. */
      deactivate?: string;
    };

const DUE = `d.status = 'pending' AND d.next_attempt_at <= clock_timestamp()
  AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= clock_timestamp())`;

/** Claimed and its lease running (webhook_deliveries_in_flight_idx). */
const IN_FLIGHT = `f.status = 'pending' AND f.lease_owner IS NOT NULL
  AND f.lease_expires_at > clock_timestamp()`;

/*
 * Claims due deliveries with a lease, at most `perEndpoint` in flight per endpoint across the
 * cluster: each endpoint's row is locked (NO KEY UPDATE: event writers' foreign-key checks
 * are not blocked) while its in-flight deliveries are counted and more are taken, so two
 * claiming processes cannot both fill the same endpoint. SKIP LOCKED everywhere: claims in
 * several processes share the work without waiting on each other. The body is built here,
 * once, from the stored event.
 */
const CLAIM_SQL = `
  WITH ready AS (
    SELECT e.id, e.url, e.secret, e.failing_since FROM webhook_endpoints e
    WHERE e.is_active AND EXISTS (SELECT FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND ${DUE})
    ORDER BY e.id
    LIMIT 500
    FOR NO KEY UPDATE OF e SKIP LOCKED
  ), picked AS (
    SELECT p.id FROM ready r CROSS JOIN LATERAL (
      SELECT d.id FROM webhook_deliveries d
      WHERE d.endpoint_id = r.id AND ${DUE}
      ORDER BY d.next_attempt_at, d.id
      LIMIT greatest(0, $3 - (SELECT count(*) FROM webhook_deliveries f
                              WHERE f.endpoint_id = r.id AND ${IN_FLIGHT}))
      FOR UPDATE SKIP LOCKED
    ) p
    LIMIT $4
  ), claimed AS (
    UPDATE webhook_deliveries d SET attempts = d.attempts + 1, lease_owner = $1,
      lease_expires_at = clock_timestamp() + $2 * interval '1 millisecond'
    FROM picked p WHERE d.id = p.id
    RETURNING d.id, d.endpoint_id, d.event_id, d.attempts, d.expires_at
  )
  SELECT c.id::text, c.endpoint_id, c.attempts, r.url, r.secret,
    (extract(epoch FROM r.failing_since) * 1000)::float8 AS failing_since,
    (extract(epoch FROM c.expires_at) * 1000)::float8 AS expires_at,
    ev.public_id AS event_id, ev.type AS event_type,
    jsonb_build_object('id', ev.public_id, 'type', ev.type,
      'created_at', to_char(ev.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'data', ev.data)::text AS body
  FROM claimed c JOIN ready r ON r.id = c.endpoint_id JOIN webhook_events ev ON ev.id = c.event_id
  ORDER BY c.id`;

/** The delivery loops' SQL: claims, outcomes, the give-up sweep and pruning. */
@Injectable()
export class WebhookDeliveryRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async claim(
    owner: string,
    leaseMs: number,
    perEndpoint: number,
    limit: number,
  ): Promise<ClaimedDelivery[]> {
    const rows = await this.dataSource.query(CLAIM_SQL, [owner, leaseMs, perEndpoint, limit]);
    return rows.map(
      (r: {
        id: string;
        endpoint_id: number;
        attempts: number;
        url: string;
        secret: string;
        failing_since: number | null;
        expires_at: number;
        event_id: string;
        event_type: string;
        body: string;
      }) => ({
        id: r.id,
        endpointId: r.endpoint_id,
        attempts: r.attempts,
        url: r.url,
        secret: r.secret,
        failingSince: r.failing_since,
        expiresAt: r.expires_at,
        eventId: r.event_id,
        eventType: r.event_type,
        body: r.body,
      }),
    );
  }

  /**
   * Writes what an attempt came to, if the delivery is still this process's, and the
   * endpoint's failure streak: a success ends it, a failure starts it (or deactivates the
   * endpoint when the rules say so).
   */
  async record(owner: string, id: string, o: DeliveryOutcome): Promise<void> {
    const ok = o.kind === 'delivered';
    await this.dataSource.query(
      `WITH d AS (
         UPDATE webhook_deliveries SET
           status = $3::text, last_status_code = $4::int, last_error = $5::text,
           delivered_at = CASE WHEN $3::text = 'delivered' THEN $6::timestamptz ELSE delivered_at END,
           next_attempt_at = coalesce($7::timestamptz, next_attempt_at),
           lease_owner = NULL, lease_expires_at = NULL
         WHERE id = $1::bigint AND lease_owner = $2::text RETURNING endpoint_id
       )
       UPDATE webhook_endpoints e SET
         failing_since = CASE WHEN $3::text = 'delivered' THEN NULL ELSE coalesce(e.failing_since, $6::timestamptz) END,
         is_active = e.is_active AND $8::text IS NULL,
         disabled_reason = coalesce($8::text, e.disabled_reason),
         updated_at = CASE WHEN $8::text IS NULL THEN e.updated_at ELSE now() END
       -- Written only when the streak starts or ends, or the endpoint is turned off: not a
       -- write to the endpoint's row per delivery.
       WHERE e.id IN (SELECT endpoint_id FROM d)
         AND ($3::text = 'delivered' AND e.failing_since IS NOT NULL
              OR $3::text <> 'delivered' AND e.failing_since IS NULL OR $8::text IS NOT NULL)`,
      [
        id,
        owner,
        ok ? 'delivered' : o.kind === 'failed' ? 'failed' : 'pending',
        o.statusCode,
        ok ? null : o.error,
        o.at,
        ok ? null : (o.nextAttemptAt ?? null),
        ok ? null : (o.deactivate ?? null),
      ],
    );
  }

  /** Hands this process's unfinished claims back (shutdown): they are due again at once. */
  async release(owner: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_deliveries SET lease_owner = NULL, lease_expires_at = NULL,
         attempts = greatest(attempts - 1, 0)
       WHERE status = 'pending' AND lease_owner = $1`,
      [owner],
    );
    // Other processes' loops may be waiting on these slots' leases: they can claim now.
    await this.dataSource.query(`SELECT pg_notify($1, '')`, [WEBHOOK_CHANNEL]);
  }

  /**
   * Deliveries still pending past their 24 h (their endpoint was turned off, or no process
   * ran) become failed; deliveries and events older than `retentionDays` are dropped.
   */
  async sweep(retentionDays: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_deliveries SET status = 'failed',
         last_error = coalesce(last_error, 'not delivered within 24 hours')
       WHERE status = 'pending' AND expires_at < clock_timestamp()
         AND (lease_expires_at IS NULL OR lease_expires_at < clock_timestamp())`,
    );
    await this.dataSource.query(
      `DELETE FROM webhook_events WHERE created_at < now() - $1 * interval '1 day'
         AND NOT EXISTS (SELECT FROM webhook_deliveries d WHERE d.event_id = webhook_events.id AND d.status = 'pending')`,
      [retentionDays],
    );
  }

  /**
   * Milliseconds until a claim could take something (null: nothing pending). An endpoint whose
   * `perEndpoint` slots are all in flight has nothing to take, however many deliveries are due
   * behind them, until one of its attempts ends (the process making it wakes its own loop) or
   * its lease runs out (the process died): without this, a hanging receiver's backlog kept
   * every loop re-claiming at its shortest wait.
   */
  async msUntilNextDue(perEndpoint: number): Promise<number | null> {
    const [row] = await this.dataSource.query(
      `SELECT EXTRACT(EPOCH FROM min(CASE WHEN f.n >= $1 THEN f.first_free ELSE w.next END)
                - clock_timestamp()) * 1000 AS ms
       FROM webhook_endpoints e
       CROSS JOIN LATERAL (
         SELECT count(*) AS n, min(f.lease_expires_at) AS first_free FROM webhook_deliveries f
         WHERE f.endpoint_id = e.id AND ${IN_FLIGHT}) f
       CROSS JOIN LATERAL (
         SELECT greatest(d.next_attempt_at, coalesce(d.lease_expires_at, d.next_attempt_at)) AS next
         FROM webhook_deliveries d
         WHERE d.endpoint_id = e.id AND d.status = 'pending'
           AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= clock_timestamp())
         ORDER BY d.next_attempt_at LIMIT 1) w
       WHERE e.is_active`,
      [perEndpoint],
    );
    return row.ms === null ? null : Math.max(0, Number(row.ms));
  }
}
