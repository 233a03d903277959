import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { WebhookDeliveryRepository } from '../src/webhooks/webhook-delivery.repository.js';
import { createTestDatabase, TestDatabase } from './support/test-database.js';

/** The delivery loop's claim and idle wait against a receiver that holds every slot. */
describe(WebhookDeliveryRepository.name, () => {
  let db: TestDatabase;
  let sut: WebhookDeliveryRepository;
  let endpointId: number;
  const PER_ENDPOINT = 2;
  const LEASE_MS = 8_000;

  beforeAll(async () => {
    db = await createTestDatabase('whdeliveryrepo');
    sut = new WebhookDeliveryRepository(db.dataSource);
    const [u] = await db.dataSource.query(
      `INSERT INTO users (username, password_hash) VALUES ('wh', 'x') RETURNING id`,
    );
    [{ id: endpointId }] = await db.dataSource.query(
      `INSERT INTO webhook_endpoints (user_id, url, events, secret)
       VALUES ($1, 'http://127.0.0.1:9/hook', '{*}', 'whsec_test') RETURNING id`,
      [u.id],
    );
  });
  afterAll(() => db.drop());
  beforeEach(() => db.dataSource.query(`DELETE FROM webhook_events`));

  /** `n` deliveries to the endpoint (its events' trigger makes them), due `inMs` from now. */
  const pending = async (n: number, inMs = 0) => {
    const events = await db.dataSource.query(
      `INSERT INTO webhook_events (user_id, type, data)
       SELECT user_id, 'message.completed', '{}' FROM webhook_endpoints, generate_series(1, $2)
       WHERE id = $1 RETURNING id`,
      [endpointId, n],
    );
    const [{ made }] = await db.dataSource.query(
      `WITH d AS (UPDATE webhook_deliveries
         SET next_attempt_at = clock_timestamp() + $2 * interval '1 millisecond'
         WHERE event_id = ANY($1::bigint[]) RETURNING 1)
       SELECT count(*)::int AS made FROM d`,
      [events.map((e: { id: string }) => e.id), inMs],
    );
    expect(made).toBe(n);
  };

  it('waits for a free slot, not for the due deliveries behind a full endpoint', async () => {
    await pending(10);
    expect(await sut.msUntilNextDue(PER_ENDPOINT)).toBe(0);
    const claimed = await sut.claim('p1', LEASE_MS, PER_ENDPOINT, 64);
    expect(claimed).toHaveLength(PER_ENDPOINT);
    // Eight are due, but both slots are taken: nothing to claim until a lease could end.
    expect(await sut.claim('p2', LEASE_MS, PER_ENDPOINT, 64)).toHaveLength(0);
    const wait = await sut.msUntilNextDue(PER_ENDPOINT);
    expect(wait).toBeGreaterThan(LEASE_MS - 2_000);
    expect(wait).toBeLessThanOrEqual(LEASE_MS);
    // One attempt ends: a slot is free and the next due delivery can go at once.
    await sut.record('p1', claimed[0].id, { kind: 'delivered', statusCode: 200, at: new Date() });
    expect(await sut.msUntilNextDue(PER_ENDPOINT)).toBe(0);
    expect(await sut.claim('p2', LEASE_MS, PER_ENDPOINT, 64)).toHaveLength(1);
  });

  it('with a slot free, waits for the earliest future delivery', async () => {
    await pending(1, 3_000);
    const wait = await sut.msUntilNextDue(PER_ENDPOINT);
    expect(wait).toBeGreaterThan(1_000);
    expect(wait).toBeLessThanOrEqual(3_000);
  });

  it('has nothing to wait for when nothing is pending or the endpoint is off', async () => {
    expect(await sut.msUntilNextDue(PER_ENDPOINT)).toBeNull();
    await pending(1);
    await db.dataSource.query(`UPDATE webhook_endpoints SET is_active = false`);
    expect(await sut.msUntilNextDue(PER_ENDPOINT)).toBeNull();
    await db.dataSource.query(`UPDATE webhook_endpoints SET is_active = true`);
  });
});
