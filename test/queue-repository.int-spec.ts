import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { QueueRepository } from '../src/queue/queue.repository.js';
import { queueRepositoryOn } from './support/queue-repository.js';
import { createTestDatabase, TestDatabase } from './support/test-database.js';

/** Repository SQL on the real server of the run (PostgreSQL 15 in CI's second pass, 18 embedded). */
describe(QueueRepository.name, () => {
  let db: TestDatabase;
  let sut: QueueRepository;
  let messageId: number;

  beforeAll(async () => {
    db = await createTestDatabase('queuerepo');
    sut = queueRepositoryOn(db);
    const [m] = await db.dataSource.query(
      `INSERT INTO messages (content, encoding, segments, recipient_count) VALUES ('x', 'gsm7', 1, 2) RETURNING id`,
    );
    messageId = m.id;
  });
  afterAll(() => db.drop());

  it('says how long until the next waiting SMS is due, including never-tried ones', async () => {
    expect(await sut.msUntilNextDue()).toBeNull();
    await db.dataSource.query(
      `INSERT INTO recipients (message_id, ordinal, phone, priority, next_attempt_at)
       VALUES ($1, 1, '+85291234567', 1, now() + interval '5 seconds')`,
      [messageId],
    );
    const later = await sut.msUntilNextDue();
    expect(later).toBeGreaterThan(3000);
    expect(later).toBeLessThanOrEqual(5000);
    // '-infinity' (never tried) minus a time is an error before PostgreSQL 16.
    await db.dataSource.query(
      `INSERT INTO recipients (message_id, ordinal, phone, priority) VALUES ($1, 2, '+85291234568', 1)`,
      [messageId],
    );
    expect(await sut.msUntilNextDue()).toBe(0);
  });

  it('claims in order with a lease, and release takes the unmade attempt back', async () => {
    const claimed = await sut.claim('w1', 5, 30000);
    expect(claimed.map((c) => c.phone)).toEqual(['+85291234568']);
    expect(claimed[0].attempts).toBe(1);
    expect(await sut.release('w1', [claimed[0].id])).toBe(1);
    const [row] = await db.dataSource.query(
      `SELECT status, attempts, lease_owner FROM recipients WHERE id = $1`,
      [claimed[0].id],
    );
    expect(row).toEqual({ status: 'pending', attempts: 0, lease_owner: null });
  });

  it('claims nothing while the queue is paused', async () => {
    const pause = (v: string) =>
      db.dataSource.query(`UPDATE app_settings SET value = $1 WHERE key = 'queue_paused'`, [v]);
    await pause('true');
    try {
      expect(await sut.claim('w2', 5, 30000)).toEqual([]);
    } finally {
      await pause('false');
    }
  });

  it('records results with any text the gateway answered, verbatim', async () => {
    const [claimed] = await sut.claim('w2', 1, 30000);
    const awkward = 'HTTP 200: {"id":"a,b"} \\ back\\slash "quoted" NULL {x} \u00e9\u{1F600}';
    await sut.record('w2', [
      { id: claimed.id, outcome: 'sent', error: null, response: awkward, retryInMs: 0 },
    ]);
    const [row] = await db.dataSource.query(
      `SELECT status, error_message, gateway_response, lease_owner FROM recipients WHERE id = $1`,
      [claimed.id],
    );
    expect(row).toEqual({
      status: 'sent',
      error_message: null,
      gateway_response: awkward,
      lease_owner: null,
    });
  });
});
