import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

/**
 * `lane_loads` (FAIRNESS.md "Cost"): running totals per user and lane of unfinished jobs,
 * kept by triggers on `messages`, with what started jobs hold read through `started_loads`.
 * Whatever writes a job (insert, claim, results, cancel, an operator's UPDATE, a deleted user,
 * deleting jobs), the totals equal the same sums computed from the jobs themselves; results
 * of a started job do not write them.
 */
const FROM_JOBS = `
  SELECT coalesce(user_id, 0) AS user_id, CASE WHEN adhoc THEN 0 ELSE 1 END AS lane,
    count(*) FILTER (WHERE job_status = 'pending')::int AS pending_jobs,
    coalesce(sum(r) FILTER (WHERE job_status = 'pending'), 0)::int AS pending_sms,
    coalesce(sum(r * segments) FILTER (WHERE job_status = 'pending'), 0)::int AS pending_segments,
    count(*) FILTER (WHERE job_status = 'sending')::int AS sending_jobs,
    coalesce(sum(r) FILTER (WHERE job_status = 'sending'), 0)::int AS sending_sms,
    coalesce(sum(r * segments) FILTER (WHERE job_status = 'sending'), 0)::int AS sending_segments
  FROM (SELECT *, recipient_count - sent_count - failed_count - cancelled_count - expired_count AS r
        FROM messages) m
  WHERE job_status IN ('pending', 'sending') AND resume_at IS NULL
  GROUP BY 1, 2 ORDER BY 1, 2`;

const FROM_TOTALS = `
  SELECT l.user_id, l.lane, pending_jobs, pending_sms::int, pending_segments::int, sending_jobs,
    coalesce(s.sms, 0)::int AS sending_sms, coalesce(s.segments, 0)::int AS sending_segments
  FROM lane_loads l LEFT JOIN started_loads s USING (user_id, lane)
  WHERE pending_jobs <> 0 OR pending_sms <> 0 OR sending_jobs <> 0
  ORDER BY 1, 2`;

describe('lane_loads: running totals of unfinished jobs per user and lane (PostgreSQL)', () => {
  let db: TestDatabase;
  const q = (sql: string, params?: unknown[]) => db.dataSource.query(sql, params);
  const users: number[] = [];

  const job = async (
    user: number | null,
    n: number,
    opts: { adhoc?: boolean; segments?: number } = {},
  ) => {
    const [row] = await q(
      `INSERT INTO messages (user_id, content, encoding, segments, adhoc, recipient_count)
       VALUES ($1, 'x', 'gsm7', $2, $3, $4) RETURNING id`,
      [user, opts.segments ?? 1, opts.adhoc ?? false, n],
    );
    return row.id as number;
  };
  const expectTotalsMatch = async () => expect(await q(FROM_TOTALS)).toEqual(await q(FROM_JOBS));

  beforeAll(async () => {
    db = await createTestDatabase('laneloads');
    for (const name of ['ll_a', 'll_b', 'll_c']) {
      const [u] = await q(
        `INSERT INTO users (username, password_hash) VALUES ($1, 'x') RETURNING id`,
        [name],
      );
      users.push(u.id);
    }
  });
  afterAll(() => db.drop());

  it('counts new jobs, started jobs, results, cancel, reopen, deleted users and deleted jobs', async () => {
    const [a, b, c] = users;
    const a1 = await job(a, 10);
    const a2 = await job(a, 5, { segments: 3 });
    const b1 = await job(b, 7, { adhoc: true });
    const c1 = await job(c, 4);
    await job(null, 2);
    await expectTotalsMatch();
    expect(
      await q(
        `SELECT pending_jobs, pending_sms::int, pending_segments::int FROM lane_loads WHERE user_id = $1 AND lane = 1`,
        [a],
      ),
    ).toEqual([{ pending_jobs: 2, pending_sms: 15, pending_segments: 25 }]);

    // Started, some results, a job finished, a job cancelled, one reopened by a retry.
    await q(`UPDATE messages SET job_status = 'sending' WHERE id = ANY($1)`, [[a1, b1]]);
    await q(`UPDATE messages SET sent_count = 3, failed_count = 1 WHERE id = $1`, [a1]);
    await q(
      `UPDATE messages SET sent_count = 7, job_status = 'completed', completed_at = now() WHERE id = $1`,
      [b1],
    );
    await q(`UPDATE messages SET cancelled_count = 4, job_status = 'cancelled' WHERE id = $1`, [
      c1,
    ]);
    await expectTotalsMatch();
    await q(
      `UPDATE messages SET failed_count = 0, job_status = 'sending', completed_at = NULL WHERE id = $1`,
      [b1],
    );
    await q(`UPDATE messages SET sent_count = 0 WHERE id = $1`, [b1]);
    await expectTotalsMatch();

    // A deleted owner keeps the jobs under no user; deleted jobs leave the totals.
    await q(`DELETE FROM users WHERE id = $1`, [c]);
    await q(`UPDATE messages SET job_status = 'pending', cancelled_count = 0 WHERE id = $1`, [c1]);
    await expectTotalsMatch();
    await q(`DELETE FROM messages WHERE id = ANY($1)`, [[a2, c1]]);
    await expectTotalsMatch();
    // A statement touching no column the totals use changes nothing.
    await q(`UPDATE messages SET last_sent_at = now()`);
    await expectTotalsMatch();
  });

  it('results of a started job leave the totals row untouched (nothing written on the sending path)', async () => {
    const [, b] = users;
    const id = await job(b, 50);
    await q(`UPDATE messages SET job_status = 'sending' WHERE id = $1`, [id]);
    const version = async () =>
      (await q(`SELECT xmin::text AS v FROM lane_loads WHERE user_id = $1 AND lane = 1`, [b]))[0].v;
    const before = await version();
    await q(`UPDATE messages SET sent_count = sent_count + 10 WHERE id = $1`, [id]);
    await q(`UPDATE messages SET failed_count = failed_count + 1 WHERE id = $1`, [id]);
    expect(await version()).toBe(before);
    await expectTotalsMatch();
  });

  it('a job is counted at commit: an open insert does not hold its user’s totals locked', async () => {
    const [a] = users;
    const open = db.dataSource.createQueryRunner();
    await open.connect();
    await open.startTransaction();
    try {
      await open.query(
        `INSERT INTO messages (user_id, content, encoding, segments, recipient_count) VALUES ($1, 'x', 'gsm7', 1, 3)`,
        [a],
      );
      // Another statement on the same user's totals (results of a job being sent) goes through.
      const other = await job(a, 1);
      await db.dataSource.transaction(async (tx) => {
        await tx.query(`SET LOCAL statement_timeout = 2000`);
        await tx.query(`UPDATE messages SET job_status = 'sending' WHERE id = $1`, [other]);
      });
      await open.commitTransaction();
    } finally {
      await open.release();
    }
    await expectTotalsMatch();
  });
});
