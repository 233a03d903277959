import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { hkMobile, sendOne } from './fixtures/messages.js';
import { createUser, TestUser } from './fixtures/users.js';
import { createTestApp, TestApp } from './support/test-app.js';

/**
 * Concurrent single sends are queued and estimated in batches (group commit): every answer
 * must still be its own job's, with the place and estimate that job has, as if the sends had
 * been queued one by one in the order they were taken.
 */
const SENDS = 16;
const RATE = 2;
const BURST = 4;

describe('Concurrent single sends (e2e)', () => {
  let t: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    // An API process only: nothing is sent, so the queue stays as the answers describe it.
    t = await createTestApp(
      { QUEUE_ROLE: 'api', SMS_RATE_PER_SEC: String(RATE), SMS_BURST_CAPACITY: String(BURST) },
      'singlesends',
    );
    user = await createUser(t);
  });
  afterAll(() => t?.close());

  it('answers each with its own job, place and estimate, sharing statements', async () => {
    const answers = await Promise.all(
      Array.from({ length: SENDS }, async (_, i) => {
        const before = Date.now();
        const res = await sendOne(t, user.apiToken, { recipient: hkMobile(i), content: `s${i}` });
        return { i, res, before, after: Date.now() };
      }),
    );
    for (const { i, res } of answers) {
      expect(res.status).toBe(202);
      expect(res.body.data.recipient).toBe(hkMobile(i));
    }
    const stored = await t.db.dataSource.query<{ id: number; content: string; phone: string }[]>(
      `SELECT m.id, m.content, r.phone FROM messages m JOIN recipients r ON r.message_id = m.id`,
    );
    const byId = new Map(stored.map((r) => [r.id, r]));
    for (const { i, res } of answers) {
      expect(byId.get(res.body.data.id)).toEqual({
        id: res.body.data.id,
        content: `s${i}`,
        phone: hkMobile(i),
      });
    }

    // One user's jobs go in the order queued (ids): the k-th has k - 1 ahead of it, and its
    // SMS goes out at (k - BURST) / RATE s with the bucket full.
    const ids = answers.map((a) => a.res.body.data.id as number).sort((a, b) => a - b);
    for (const { res, before, after } of answers) {
      const k = ids.indexOf(res.body.data.id) + 1;
      expect(res.body.data.queue_position).toBe(k);
      const seconds = Math.max(0, (k - BURST) / RATE);
      const eta = Date.parse(res.body.data.estimated_complete_at);
      expect(eta).toBeGreaterThanOrEqual(before + seconds * 1000 - 1500);
      expect(eta).toBeLessThanOrEqual(after + seconds * 1000 + 1500);
    }

    // Rows written by one statement share its transaction id.
    const [{ statements }] = await t.db.dataSource.query<{ statements: number }[]>(
      `SELECT count(DISTINCT xmin::text)::int AS statements FROM messages`,
    );
    expect(statements).toBeLessThan(SENDS);
  });
});
