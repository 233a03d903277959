import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../src/config/app-config.js';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { MessagesRepository } from '../src/messages/messages.repository.js';
import { QueueControlRepository } from '../src/queue/queue-control.repository.js';
import { IDLE_CREDIT_SMS } from '../src/queue/queue.sql.js';
import { QueueRepository } from '../src/queue/queue.repository.js';
import { ReleaseRepository } from '../src/queue/release.repository.js';
import { hkMobiles } from './fixtures/messages.js';
import { queueRepositoryOn } from './support/queue-repository.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

/**
 * Scheduled send (SCHEDULING.md) at the repository level, on real PostgreSQL: a scheduled
 * job's SMS are held outside the queue and its lane; the release joins them to the lane with
 * fresh fair tags, as if submitted then, once per job whatever the number of processes.
 */
describe(ReleaseRepository.name, () => {
  const config = { smsRateUnit: 'request' } as AppConfig;
  let db: TestDatabase;
  let sut: ReleaseRepository;
  let messages: MessagesRepository;
  let queue: QueueRepository;
  let users: number[];
  const q = (sql: string, params?: unknown[]) => db.dataSource.query(sql, params);
  const T0 = new Date('2030-01-01T00:00:00Z');
  const at = (s: number) => new Date(T0.getTime() + s * 1000);
  let phone = 0;

  async function submit(userId: number, n: number, holdUntil: Date | null): Promise<number> {
    const out = await messages.insert({
      userId,
      content: 'x',
      encoding: 'gsm7',
      segments: 1,
      adhoc: false,
      phones: hkMobiles(n, (phone += n)),
      duplicatesRemoved: 0,
      sendAt: holdUntil,
      holdUntil,
      scheduled: holdUntil !== null,
      validUntil: null,
      window: null,
      windowClosesAt: null,
    });
    if (!('created' in out)) throw new Error('not created');
    return out.created.id;
  }
  const job = async (id: number) =>
    (await q(`SELECT job_status, status, resume_at FROM messages WHERE id = $1`, [id]))[0];
  const recipientStates = async (id: number) =>
    (
      await q(
        `SELECT status, count(*)::int AS n FROM recipients WHERE message_id = $1 GROUP BY status`,
        [id],
      )
    ).map((r: { status: string; n: number }) => `${r.status}:${r.n}`);
  const tags = async (id: number): Promise<number[]> =>
    (await q(`SELECT vtag FROM recipients WHERE message_id = $1 ORDER BY ordinal`, [id])).map(
      (r: { vtag: number }) => r.vtag,
    );

  beforeAll(async () => {
    db = await createTestDatabase('schedrelease');
    sut = new ReleaseRepository(db.dataSource, config);
    messages = new MessagesRepository(db.dataSource, config);
    queue = queueRepositoryOn(db);
    users = [];
    for (const name of ['sr_a', 'sr_b', 'sr_c']) {
      const [u] = await q(
        `INSERT INTO users (username, password_hash) VALUES ($1, 'x') RETURNING id`,
        [name],
      );
      users.push(u.id);
    }
  });
  afterAll(() => db.drop());
  beforeEach(async () => {
    await q(`TRUNCATE messages, recipients, user_lanes, lane_loads CASCADE`);
    await q(`UPDATE lane_clocks SET vtime = 0`);
  });

  it('holds a scheduled job outside the queue and its lane until its due time', async () => {
    const id = await submit(users[0], 3, at(60));
    expect(await job(id)).toEqual({
      job_status: 'scheduled',
      status: 'pending',
      resume_at: at(60),
    });
    expect(await recipientStates(id)).toEqual(['held:3']);
    // No lane tag taken, no share held, nothing claimable; counted as scheduled.
    expect(await q(`SELECT * FROM user_lanes`)).toEqual([]);
    expect(
      await q(
        `SELECT pending_jobs, pending_sms, scheduled_jobs, scheduled_sms::int FROM lane_loads`,
      ),
    ).toEqual([{ pending_jobs: 0, pending_sms: '0', scheduled_jobs: 1, scheduled_sms: 3 }]);
    expect(await queue.claim('w', 10, 30_000)).toEqual([]);
    expect(await queue.msUntilNextDue()).toBeNull();
    expect(await sut.nextDue()).toEqual(at(60));

    expect(await sut.releaseDue(at(59.999))).toBe(0);
    expect(await recipientStates(id)).toEqual(['held:3']);
    expect(await sut.releaseDue(at(60))).toBe(1);
    expect(await job(id)).toEqual({ job_status: 'pending', status: 'pending', resume_at: null });
    expect(await recipientStates(id)).toEqual(['pending:3']);
    expect(await sut.nextDue()).toBeNull();
    expect(
      await q(`SELECT pending_jobs, scheduled_jobs, scheduled_sms::int FROM lane_loads`),
    ).toEqual([{ pending_jobs: 1, scheduled_jobs: 0, scheduled_sms: 0 }]);
    expect((await queue.claim('w', 10, 30_000)).map((c) => c.messageId)).toEqual([id, id, id]);
  });

  it('tags released SMS as a submission at that moment: after what the user queued before, by due time', async () => {
    const [a] = users;
    const late = await submit(a, 2, at(20)); // created first, due last
    const early = await submit(a, 2, at(10));
    const now = await submit(a, 2, null); // queued before either is due
    // A user with nothing queued starts IDLE_CREDIT_SMS steps behind the lane clock (0).
    const c = IDLE_CREDIT_SMS;
    expect(await tags(now)).toEqual([-c, 1 - c]);
    expect(await sut.releaseDue(at(30))).toBe(2);
    expect(await tags(early)).toEqual([2 - c, 3 - c]);
    expect(await tags(late)).toEqual([4 - c, 5 - c]);
    // The claim order follows: the user's jobs by the time they joined the lane.
    const claimed = await queue.claim('w', 10, 30_000);
    expect(claimed.map((c) => c.messageId)).toEqual([now, now, early, early, late, late]);
  });

  it('a released user joins at the lane clock, interleaving with a backlogged user by weight', async () => {
    const [a, b] = users;
    const c = IDLE_CREDIT_SMS;
    const backlog = await submit(b, 6, null);
    expect(await tags(backlog)).toEqual([0, 1, 2, 3, 4, 5].map((t) => t - c));
    await queue.claim('w', 4, 30_000); // its first four taken: the lane clock moves to 3 - c
    const scheduled = await submit(a, 4, at(5));
    await sut.releaseDue(at(5));
    // Start tags, c steps behind the clock: its first c + 1 go next, then the two alternate.
    expect(await tags(scheduled)).toEqual([0, 1, 2, 3].map((t) => t + 3 - 2 * c));
    const order = (await queue.claim('w', 6, 30_000)).map((r) => r.messageId);
    expect(order.slice(0, c + 1)).toEqual(Array(c + 1).fill(scheduled));
    expect(order.slice(c + 1, c + 3).sort()).toEqual([backlog, scheduled].sort());
  });

  it('releases each job once with two processes releasing at the same moment', async () => {
    const other = await new DataSource(dataSourceOptions(db.url, 4)).initialize();
    try {
      const ids: number[] = [];
      for (let i = 0; i < 250; i++) ids.push(await submit(users[i % 3], 1 + (i % 4), at(i % 7)));
      const n = (await q(`SELECT sum(recipient_count)::int AS n FROM messages`))[0].n;
      const [x, y] = await Promise.all([
        sut.releaseDue(at(10)),
        new ReleaseRepository(other, config).releaseDue(at(10)),
      ]);
      expect(x + y).toBe(250);
      expect(await q(`SELECT DISTINCT job_status, resume_at FROM messages`)).toEqual([
        { job_status: 'pending', resume_at: null },
      ]);
      // Each user's tags are one run, each step taken once: no job tagged twice.
      const perUser = await q(
        `SELECT m.user_id, count(*)::int AS n, count(DISTINCT r.vtag)::int AS distinct_tags,
                max(r.vtag)::int AS top
         FROM recipients r JOIN messages m ON m.id = r.message_id
         WHERE r.status = 'pending' GROUP BY m.user_id`,
      );
      expect(perUser.reduce((s: number, u: { n: number }) => s + u.n, 0)).toBe(n);
      for (const u of perUser) {
        expect(u.distinct_tags).toBe(u.n);
        expect(u.top).toBe(u.n - 1 - IDLE_CREDIT_SMS);
      }
      const lanes = await q(`SELECT user_id, last_tag::int FROM user_lanes ORDER BY user_id`);
      expect(lanes.map((l: { last_tag: number }) => l.last_tag)).toEqual(
        perUser
          .sort((p: { user_id: number }, r: { user_id: number }) => p.user_id - r.user_id)
          .map((u: { n: number }) => u.n - IDLE_CREDIT_SMS),
      );
    } finally {
      await other.destroy();
    }
  });

  it('cancel: a scheduled job is cancelled at once with its held SMS, and nothing is left to release', async () => {
    const id = await submit(users[1], 4, at(60));
    await new QueueControlRepository(db.dataSource).cancel(id, undefined);
    expect(await job(id)).toEqual({
      job_status: 'cancelled',
      status: 'cancelled',
      resume_at: null,
    });
    expect(await recipientStates(id)).toEqual(['cancelled:4']);
    const [m] = await q(`SELECT cancelled_count, completed_at FROM messages WHERE id = $1`, [id]);
    expect(m.cancelled_count).toBe(4);
    expect(m.completed_at).not.toBeNull();
    expect(await sut.nextDue()).toBeNull();
    expect(await sut.releaseDue(at(120))).toBe(0);
    expect(await q(`SELECT scheduled_jobs, scheduled_sms::int FROM lane_loads`)).toEqual([
      { scheduled_jobs: 0, scheduled_sms: 0 },
    ]);
  });
});
