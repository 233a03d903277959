import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../src/config/app-config.js';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { MessagesRepository } from '../src/messages/messages.repository.js';
import { timingOf } from '../src/messages/send-timing.js';
import { QueueRepository } from '../src/queue/queue.repository.js';
import { ReleaseRepository } from '../src/queue/release.repository.js';
import { parseWindowSpec } from '../src/scheduling/send-window.js';
import { hkMobiles } from './fixtures/messages.js';
import { queueRepositoryOn } from './support/queue-repository.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

/**
 * Send windows (SCHEDULING.md, quiet hours) at the repository level, on real PostgreSQL and
 * fixed instants: a job submitted while its window is closed waits held until the opening;
 * when an opening ends, the job's waiting SMS are held again (those being sent are handed
 * back held) and the job holds no share meanwhile; at the next opening they rejoin the lane
 * with fresh tags counted from what is still held.
 */
describe('send windows: hold and release by the window (PostgreSQL)', () => {
  const config = { smsRateUnit: 'request' } as AppConfig;
  // 09:00-10:00 in Hong Kong (UTC+8, no daylight saving): 01:00-02:00 UTC.
  const window = parseWindowSpec('09:00-10:00 Asia/Hong_Kong');
  const utc = (hhmm: string, day = 1) => new Date(`2030-01-0${day}T${hhmm}:00Z`);
  let db: TestDatabase;
  let release: ReleaseRepository;
  let messages: MessagesRepository;
  let queue: QueueRepository;
  let user: number;
  const q = (sql: string, params?: unknown[]) => db.dataSource.query(sql, params);

  async function submit(n: number, now: Date, sendAt: Date | null = null): Promise<number> {
    const out = await messages.insert({
      userId: user,
      content: 'x',
      encoding: 'gsm7',
      segments: 1,
      adhoc: false,
      phones: hkMobiles(n),
      duplicatesRemoved: 0,
      validUntil: null,
      ...timingOf(sendAt, window, now.getTime()),
    });
    if (!('created' in out)) throw new Error('not created');
    return out.created.id;
  }
  const state = async (id: number) => {
    const [m] = await q(
      `SELECT job_status, resume_at, window_closes_at FROM messages WHERE id = $1`,
      [id],
    );
    const r = await q(
      `SELECT status, count(*)::int AS n FROM recipients WHERE message_id = $1 GROUP BY status ORDER BY status`,
      [id],
    );
    return { ...m, recipients: r.map((x: { status: string; n: number }) => `${x.status}:${x.n}`) };
  };
  const share = async () =>
    (
      await q(
        `SELECT pending_jobs + sending_jobs AS jobs, (pending_sms + coalesce(s.sms, 0))::int AS sms
         FROM lane_loads l LEFT JOIN started_loads s USING (user_id, lane) WHERE l.user_id = $1`,
        [user],
      )
    )[0] ?? { jobs: 0, sms: 0 };

  beforeAll(async () => {
    db = await createTestDatabase('sendwindows');
    release = new ReleaseRepository(db.dataSource, config);
    messages = new MessagesRepository(db.dataSource, config);
    queue = queueRepositoryOn(db);
    const [u] = await q(
      `INSERT INTO users (username, password_hash) VALUES ('sw', 'x') RETURNING id`,
    );
    user = u.id;
  });
  afterAll(() => db.drop());
  beforeEach(async () => {
    await q(`TRUNCATE messages, recipients, user_lanes, lane_loads CASCADE`);
    await q(`UPDATE lane_clocks SET vtime = 0`);
  });

  it('submitted while closed: held until the opening, no share; released then, until the close', async () => {
    const id = await submit(3, utc('00:30'));
    expect(await state(id)).toEqual({
      job_status: 'pending',
      resume_at: utc('01:00'),
      window_closes_at: null,
      recipients: ['held:3'],
    });
    expect(await share()).toEqual({ jobs: 0, sms: 0 });
    expect(await queue.claim('w', 10, 30_000)).toEqual([]);
    expect(await release.nextDue()).toEqual(utc('01:00'));

    expect(await release.releaseDue(utc('01:00'))).toBe(1);
    expect(await state(id)).toEqual({
      job_status: 'pending',
      resume_at: null,
      window_closes_at: utc('02:00'),
      recipients: ['pending:3'],
    });
    expect(await share()).toEqual({ jobs: 1, sms: 3 });
    expect(await release.nextDue()).toEqual(utc('02:00'));
  });

  it('at the close: waiting SMS held again, those being sent go back held; next opening resumes', async () => {
    const id = await submit(5, utc('01:30'));
    expect((await state(id)).window_closes_at).toEqual(utc('02:00'));
    // Two sent, one claimed (a worker holds it), two waiting, when the window closes.
    const claimed = await queue.claim('w', 3, 30_000);
    await queue.record('w', [
      { id: claimed[0].id, outcome: 'sent', error: null, response: null, retryInMs: 0 },
      { id: claimed[1].id, outcome: 'sent', error: null, response: null, retryInMs: 0 },
    ]);
    expect(await release.holdClosing(utc('01:59'))).toBe(0);
    expect(await release.holdClosing(utc('02:00'))).toBe(1);
    expect(await state(id)).toEqual({
      job_status: 'sending',
      resume_at: utc('01:00', 2),
      window_closes_at: null,
      recipients: ['held:2', 'sending:1', 'sent:2'],
    });
    expect(await share()).toEqual({ jobs: 0, sms: 0 });
    // The worker finds the window closed and hands its SMS back: held, not claimable.
    await queue.release('w', [claimed[2].id]);
    expect((await state(id)).recipients).toEqual(['held:3', 'sent:2']);
    expect(await queue.claim('w', 10, 30_000)).toEqual([]);

    // Next morning: only what is held rejoins, three steps in a row after the lane's clock.
    const clock = Number((await q(`SELECT vtime FROM lane_clocks WHERE lane = 1`))[0].vtime);
    expect(await release.releaseDue(utc('01:00', 2))).toBe(1);
    expect(await state(id)).toEqual({
      job_status: 'sending',
      resume_at: null,
      window_closes_at: utc('02:00', 2),
      recipients: ['pending:3', 'sent:2'],
    });
    const tags = (
      await q(
        `SELECT vtag FROM recipients WHERE message_id = $1 AND status = 'pending' ORDER BY ordinal`,
        [id],
      )
    ).map((r: { vtag: number }) => r.vtag - clock);
    expect(tags[0]).toBeGreaterThan(0);
    expect(tags.map((t: number) => t - tags[0])).toEqual([0, 1, 2]);
    expect(await share()).toEqual({ jobs: 1, sms: 3 });
  });

  it('two processes holding at the same close hold each job once, in batches side by side', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 250; i++) ids.push(await submit(1 + (i % 3), utc('01:30')));
    const other = await new DataSource(dataSourceOptions(db.url, 4)).initialize();
    try {
      const [x, y] = await Promise.all([
        release.holdClosing(utc('02:00')),
        new ReleaseRepository(other, config).holdClosing(utc('02:00')),
      ]);
      expect(x + y).toBe(250);
      expect(
        await q(
          `SELECT job_status, resume_at, window_closes_at, count(*)::int AS n FROM messages
           GROUP BY 1, 2, 3`,
        ),
      ).toEqual([
        { job_status: 'pending', resume_at: utc('01:00', 2), window_closes_at: null, n: 250 },
      ]);
      expect(await q(`SELECT DISTINCT status FROM recipients`)).toEqual([{ status: 'held' }]);
      expect(await share()).toEqual({ jobs: 0, sms: 0 });
    } finally {
      await other.destroy();
    }
  });

  it('a scheduled job due while its window is closed waits for the opening', async () => {
    const sendAt = utc('03:00'); // 11:00 in Hong Kong: closed
    const id = await submit(2, utc('00:00'), sendAt);
    expect((await state(id)).job_status).toBe('scheduled');
    expect(await release.releaseDue(sendAt)).toBe(1);
    expect(await state(id)).toEqual({
      job_status: 'pending',
      resume_at: utc('01:00', 2),
      window_closes_at: null,
      recipients: ['held:2'],
    });
    expect(await release.releaseDue(utc('01:00', 2))).toBe(1);
    expect((await state(id)).recipients).toEqual(['pending:2']);
  });
});
