import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { SCHEDULED_CHANNEL } from '../src/common/channels.js';
import type { AppConfig } from '../src/config/app-config.js';
import { MessagesRepository, type NewMessage } from '../src/messages/messages.repository.js';
import { eventually } from './fixtures/waiting.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

/**
 * Group commit of single sends (INSERT_BATCH_SQL): one-number jobs of concurrent callers are
 * queued by one statement, and must leave exactly the rows that queuing them one at a time
 * leaves (the statement for other jobs, reached here through an idempotency key): ids,
 * fair tags across users, weights and segment costs, suppressed numbers, lane totals.
 */
const CONFIG = { smsRateUnit: 'segment' } as AppConfig;
const SUPPRESSED = '+85290000009';

const STATE = {
  rows: `SELECT m.id, m.user_id, m.adhoc, m.job_status, m.segments, m.suppressed_count,
           m.completed_at IS NOT NULL AS completed, r.ordinal, r.phone, r.priority, r.vtag, r.status
         FROM messages m JOIN recipients r ON r.message_id = m.id ORDER BY m.id`,
  lanes: `SELECT user_id, lane, last_tag FROM user_lanes ORDER BY 1, 2`,
  loads: `SELECT user_id, lane, pending_jobs, pending_sms::int, pending_segments::int
          FROM lane_loads ORDER BY 1, 2`,
};

async function seeded(label: string): Promise<{ db: TestDatabase; users: number[] }> {
  const db = await createTestDatabase(label);
  const users: number[] = [];
  for (const [name, weight] of [
    ['batch_a', 1],
    ['batch_b', 3],
    ['batch_c', 2],
  ] as const) {
    const [u] = await db.dataSource.query(
      `INSERT INTO users (username, password_hash, weight) VALUES ($1, 'x', $2) RETURNING id`,
      [name, weight],
    );
    users.push(u.id);
  }
  await db.dataSource.query(`INSERT INTO suppressions (phone) VALUES ($1)`, [SUPPRESSED]);
  return { db, users };
}

/** Twelve single sends from three users, both lanes, one and two segments, one suppressed. */
function jobs(users: number[]): NewMessage[] {
  return Array.from({ length: 12 }, (_, i) => ({
    userId: users[[0, 0, 1, 0, 2, 1, 1, 0, 2, 0, 1, 2][i]],
    content: `batch ${i}`,
    encoding: 'gsm7',
    segments: i % 3 === 0 ? 2 : 1,
    adhoc: i === 4 || i === 9,
    phones: [i === 6 ? SUPPRESSED : `+8529000010${String(i).padStart(2, '0')}`],
    duplicatesRemoved: 0,
    validUntil: i === 2 ? new Date('2030-01-01T00:00:00Z') : null,
    sendAt: null,
    holdUntil: null,
    scheduled: false,
    window: null,
    windowClosesAt: null,
  }));
}

describe('group commit of single sends (PostgreSQL)', () => {
  let batched: { db: TestDatabase; users: number[] };
  let oneByOne: { db: TestDatabase; users: number[] };

  beforeAll(async () => {
    batched = await seeded('batchins');
    oneByOne = await seeded('onebyone');
  });
  afterAll(async () => {
    await batched?.db.drop();
    await oneByOne?.db.drop();
  });

  it('queues single sends in batch statements, leaving the rows one-at-a-time queuing leaves', async () => {
    const repo = new MessagesRepository(batched.db.dataSource, CONFIG);
    const outcomes = await repo.insertSingles(jobs(batched.users));

    const single = new MessagesRepository(oneByOne.db.dataSource, CONFIG);
    for (const [i, m] of jobs(oneByOne.users).entries()) {
      await single.insert({ ...m, idempotency: { key: `k${i}`, hash: `h${i}`, route: 'single' } });
    }

    const rowsOf = (o: (typeof outcomes)[number]) => (o.ok ? o.value : undefined);
    expect(outcomes.map((o) => rowsOf(o)?.content)).toEqual(
      jobs(batched.users).map((m) => m.content),
    );
    expect(rowsOf(outcomes[6])).toMatchObject({ job_status: 'completed', suppressed_count: 1 });
    expect(rowsOf(outcomes[2])?.valid_until).toEqual(new Date('2030-01-01T00:00:00Z'));

    // Tags are sums of 1/weight steps, added up in another order: equal to 1e-9.
    const rounded = async (db: TestDatabase, sql: string) =>
      (await db.dataSource.query(sql)).map((r: Record<string, unknown>) =>
        Object.fromEntries(
          Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v * 1e9) : v]),
        ),
      );
    for (const sql of Object.values(STATE)) {
      expect(await rounded(batched.db, sql)).toEqual(await rounded(oneByOne.db, sql));
    }
    // It was a batch: rows written by one statement share its transaction.
    const [{ n }] = await batched.db.dataSource.query(
      `SELECT count(DISTINCT xmin::text)::int AS n FROM messages`,
    );
    // Cut only where a user's segment count changes within a lane (a: 2 → 1 at #1, 1 → 2 at
    // #3, b: 1 → 2 at #6, 2 → 1 at #10): five statements, not twelve.
    expect(n).toBe(5);
  });

  it('writes a job of a committed statement once when a later statement of its batch fails', async () => {
    const repo = new MessagesRepository(batched.db.dataSource, CONFIG);
    const [one] = jobs(batched.users);
    const all = [
      { ...one, segments: 1, phones: ['+85290000301'] },
      // a's two 1-segment jobs, then a's 2-segment job and an unwritable one in a statement of
      // their own (a user's jobs of one lane in one statement cost the same).
      { ...one, segments: 1, phones: ['+85290000302'] },
      { ...one, segments: 2, phones: ['+85290000303'] },
      { ...one, userId: 2_000_000_000, phones: ['+85290000304'] },
    ];
    const outcomes = await repo.insertSingles(all);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true, false]);
    const stored = await batched.db.dataSource.query(
      `SELECT phone, count(*)::int AS n FROM recipients WHERE phone LIKE '+852900003%'
       GROUP BY phone ORDER BY phone`,
    );
    expect(stored).toEqual([
      { phone: '+85290000301', n: 1 },
      { phone: '+85290000302', n: 1 },
      { phone: '+85290000303', n: 1 },
    ]);
  });

  it('fails only the job that cannot be written when the batch fails', async () => {
    const repo = new MessagesRepository(batched.db.dataSource, CONFIG);
    const [good] = jobs(batched.users);
    const all = [
      { ...good, phones: ['+85290000201'] },
      { ...good, phones: ['+85290000202'] },
      { ...good, phones: ['+85290000203'] },
      // No such user: the foreign key refuses it, and with it the whole first statement.
      { ...good, userId: 2_000_000_000, phones: ['+85290000204'] },
      { ...good, phones: ['+85290000205'] },
    ];
    const outcomes = await repo.insertSingles(all);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true, false, true]);
    const stored = await batched.db.dataSource.query(
      `SELECT phone FROM recipients WHERE phone LIKE '+852900002%' ORDER BY phone`,
    );
    expect(stored.map((r: { phone: string }) => r.phone)).toEqual([
      '+85290000201',
      '+85290000202',
      '+85290000203',
      '+85290000205',
    ]);
  });

  it('tells the release schedulers of the soonest window close with the rows, once a statement', async () => {
    const repo = new MessagesRepository(batched.db.dataSource, CONFIG);
    const listener = new pg.Client({ connectionString: batched.db.url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => {
      if (n.channel === SCHEDULED_CHANNEL) heard.push(String(n.payload));
    });
    await listener.query(`LISTEN ${SCHEDULED_CHANNEL}`);
    try {
      const [one] = jobs(batched.users);
      const window = { start: 0, end: 1439, timeZone: 'Asia/Hong_Kong' };
      const soon = new Date(Date.now() + 3_600_000);
      const later = new Date(Date.now() + 7_200_000);
      const all = [
        { ...one, segments: 1, phones: ['+85290000401'] },
        { ...one, segments: 1, phones: ['+85290000402'], window, windowClosesAt: later },
        { ...one, segments: 1, phones: ['+85290000403'], window, windowClosesAt: soon },
      ];
      const rows = (await repo.insertSingles(all)).map((o) => (o.ok ? o.value : null));
      for (const r of rows) {
        expect(r).not.toBeNull();
        expect(Object.keys(r!)).not.toEqual(expect.arrayContaining(['notified']));
        expect(Object.keys(r!)).not.toEqual(expect.arrayContaining(['window_notified']));
      }
      await eventually(async () => heard.length > 0, 5000);
      // One statement, one notice: the soonest close.
      expect(heard).toEqual([String(soon.getTime())]);
      const [{ n }] = await batched.db.dataSource.query(
        `SELECT count(*)::int AS n FROM messages WHERE window_closes_at IS NOT NULL
           AND id = ANY($1::int[])`,
        [rows.map((r) => r!.id)],
      );
      expect(n).toBe(2);
    } finally {
      await listener.end();
    }
  });
});
