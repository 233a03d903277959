import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { QueueRepository } from '../src/queue/queue.repository.js';
import { ResultRecorder } from '../src/queue/result-recorder.js';
import { queueRepositoryOn } from './support/queue-repository.js';
import { createTestDatabase, TestDatabase } from './support/test-database.js';

const SMS = 50;
const sent = (id: string) => ({
  id,
  outcome: 'sent' as const,
  error: null,
  response: 'ok',
  retryInMs: 0,
});
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** How results reach the database: batched by event-loop turn, on the real repository. */
describe(ResultRecorder.name, () => {
  let db: TestDatabase;
  let repo: QueueRepository;

  beforeAll(async () => {
    db = await createTestDatabase('resultrecorder');
    repo = queueRepositoryOn(db);
    const [m] = await db.dataSource.query(
      `INSERT INTO messages (content, encoding, segments, recipient_count) VALUES ('x', 'gsm7', 1, $1) RETURNING id`,
      [SMS],
    );
    await db.dataSource.query(
      `INSERT INTO recipients (message_id, ordinal, phone, priority)
       SELECT $1, n, '+8529' || (1000000 + n), 1 FROM generate_series(1, $2) n`,
      [m.id, SMS],
    );
  });
  afterAll(() => db.drop());

  const statuses = async () =>
    (
      await db.dataSource.query<{ status: string; n: number }[]>(
        `SELECT status, count(*)::int AS n FROM recipients GROUP BY status ORDER BY status`,
      )
    ).map((r) => `${r.status}:${r.n}`);

  it('writes the results of one turn in one statement, and later ones in the next', async () => {
    const claimed = await repo.claim('w1', SMS, 30_000);
    expect(claimed).toHaveLength(SMS);
    const writes = jest.spyOn(repo, 'record');
    const recorder = new ResultRecorder(repo, 'w1', nextTurn);

    // A claim's sends finishing together: all in one turn.
    for (const c of claimed.slice(0, 40)) recorder.add(sent(c.id));
    await nextTurn();
    // Arriving while that write is under way: the next write takes them together.
    for (const c of claimed.slice(40)) recorder.add(sent(c.id));
    await recorder.flush();

    expect(writes.mock.calls.map(([, batch]) => batch.length)).toEqual([40, 10]);
    expect(await statuses()).toEqual([`sent:${SMS}`]);
    writes.mockRestore();
  });
});
