import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UserLanesAndWeights1764300000900 } from '../migrations/1764300000900-UserLanesAndWeights.js';
import { countRows, hkMobile, hkMobiles, sendBulk, sendOne } from './fixtures/messages.js';
import { adminSession, bearer, createUser, login, TestUser } from './fixtures/users.js';
import { createTestDatabase, TestDatabase } from './support/test-database.js';
import { createTestApp, TestApp } from './support/test-app.js';

/** FAIRNESS.md "Lanes": the urgent right, the weight, and who may queue on the urgent lane. */

const USER_FIELDS = [
  'id',
  'username',
  'is_admin',
  'is_active',
  'can_send_urgent',
  'weight',
  'created_at',
].sort();

describe(UserLanesAndWeights1764300000900.name, () => {
  let db: TestDatabase;
  const sut = new UserLanesAndWeights1764300000900();

  beforeAll(async () => {
    db = await createTestDatabase('lanes_migration');
  });
  afterAll(() => db?.drop());

  it('gives users that existed before it the urgent right, and new users none, weight 1', async () => {
    const q = db.dataSource.createQueryRunner();
    try {
      // Back to the schema before it (its down), with a user of the old panel.
      await sut.down(q);
      const columns = await q.query(
        `SELECT column_name FROM information_schema.columns
          WHERE table_name = 'users' AND column_name IN ('can_send_urgent', 'weight')`,
      );
      expect(columns).toEqual([]);
      await q.query(`INSERT INTO users (username, password_hash) VALUES ('old_panel_user', 'x')`);

      await sut.up(q);
      await q.query(`INSERT INTO users (username, password_hash) VALUES ('new_user', 'x')`);
      const rows = await q.query(
        `SELECT username, can_send_urgent, weight FROM users
          WHERE username IN ('old_panel_user', 'new_user') ORDER BY username`,
      );
      expect(rows).toEqual([
        { username: 'new_user', can_send_urgent: false, weight: 1 },
        { username: 'old_panel_user', can_send_urgent: true, weight: 1 },
      ]);
      for (const weight of [0, 101]) {
        await expect(
          q.query(`UPDATE users SET weight = $1 WHERE username = 'new_user'`, [weight]),
        ).rejects.toThrow(/users_weight_range/);
      }
      await expect(
        q.query(`UPDATE users SET can_send_urgent = NULL WHERE username = 'new_user'`),
      ).rejects.toThrow(/null/i);
    } finally {
      await q.release();
    }
  });
});

describe('Lanes, urgent right and weights (e2e)', () => {
  let t: TestApp;
  let admin: string;
  let adminUser: TestUser;
  let allowed: TestUser;
  let denied: TestUser;

  beforeAll(async () => {
    t = await createTestApp({ QUEUE_ROLE: 'api' }, 'lanes');
    admin = await adminSession(t);
    adminUser = await createUser(t, { admin: true });
    allowed = await createUser(t, { canSendUrgent: true, weight: 3 });
    denied = await createUser(t);
  });
  afterAll(() => t?.close());

  const patch = (id: number, body: object) =>
    t.http().patch(`/api/admin/users/${id}`).set(bearer(admin)).send(body);
  const userRow = async (id: number) =>
    (
      await t.db.dataSource.query('SELECT can_send_urgent, weight FROM users WHERE id = $1', [id])
    )[0];
  const lanesOf = async (messageId: number) =>
    (
      await t.db.dataSource.query(
        `SELECT m.adhoc, array_agg(DISTINCT r.priority) AS priorities
           FROM messages m JOIN recipients r ON r.message_id = m.id
          WHERE m.id = $1 GROUP BY m.adhoc`,
        [messageId],
      )
    )[0];

  describe('users API', () => {
    it('creates users without the urgent right and weight 1 unless told', async () => {
      const res = await t
        .http()
        .post('/api/admin/users')
        .set(bearer(admin))
        .send({ username: 'plain_user', password: 'long-enough-pw' })
        .expect(201);
      const u = res.body.data.user;
      expect(Object.keys(u).sort()).toEqual(USER_FIELDS);
      expect(u).toMatchObject({ can_send_urgent: false, weight: 1 });
      expect(await userRow(u.id)).toEqual({ can_send_urgent: false, weight: 1 });
    });

    it('creates a user with the urgent right and a weight', async () => {
      const res = await t
        .http()
        .post('/api/admin/users')
        .set(bearer(admin))
        .send({
          username: 'clinic',
          password: 'long-enough-pw',
          can_send_urgent: true,
          weight: 100,
        })
        .expect(201);
      expect(res.body.data.user).toMatchObject({ can_send_urgent: true, weight: 100 });
      expect(await userRow(res.body.data.user.id)).toEqual({ can_send_urgent: true, weight: 100 });
    });

    it('changes both with PATCH, one at a time, and shows them in every user answer', async () => {
      const u = await createUser(t);
      const a = await patch(u.id, { weight: 7 }).expect(200);
      expect(a.body.data).toMatchObject({ can_send_urgent: false, weight: 7 });
      const b = await patch(u.id, { can_send_urgent: true }).expect(200);
      expect(Object.keys(b.body.data).sort()).toEqual(USER_FIELDS);
      expect(b.body.data).toMatchObject({ can_send_urgent: true, weight: 7 });
      expect(await userRow(u.id)).toEqual({ can_send_urgent: true, weight: 7 });

      const list = await t
        .http()
        .get('/api/admin/users?per_page=100')
        .set(bearer(admin))
        .expect(200);
      const listed = list.body.data.users.find((x: { id: number }) => x.id === u.id);
      expect(listed).toMatchObject({ can_send_urgent: true, weight: 7 });
      for (const x of list.body.data.users) expect(Object.keys(x).sort()).toEqual(USER_FIELDS);

      const me = await t.http().get('/api/auth/me').set(bearer(u.apiToken)).expect(200);
      expect(Object.keys(me.body.data).sort()).toEqual(USER_FIELDS);
      expect(me.body.data).toMatchObject({ id: u.id, can_send_urgent: true, weight: 7 });

      const loggedIn = await t
        .http()
        .post('/api/auth/login')
        .send({ username: u.username, password: u.password })
        .expect(200);
      expect(loggedIn.body.data.user).toEqual({
        id: u.id,
        username: u.username,
        is_admin: false,
        can_send_urgent: true,
        weight: 7,
      });
    });

    it.each([
      ['weight 0', { weight: 0 }],
      ['weight 101', { weight: 101 }],
      ['weight 1.5', { weight: 1.5 }],
      ['weight "x"', { weight: 'x' }],
      ['weight "3"', { weight: '3' }],
      ['weight null', { weight: null }],
      ['can_send_urgent "yes"', { can_send_urgent: 'yes' }],
      ['can_send_urgent 1', { can_send_urgent: 1 }],
      ['can_send_urgent null', { can_send_urgent: null }],
    ])('refuses %s with 400 VALIDATION_ERROR, on create and on PATCH', async (_, body) => {
      const field = Object.keys(body)[0];
      const users = async () =>
        (await t.db.dataSource.query('SELECT count(*)::int AS n FROM users'))[0].n;
      const before = await users();
      const created = await t
        .http()
        .post('/api/admin/users')
        .set(bearer(admin))
        .send({ username: 'never_made', password: 'long-enough-pw', ...body })
        .expect(400);
      expect(created.body.error.code).toBe('VALIDATION_ERROR');
      expect(created.body.error.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ field })]),
      );
      expect(await users()).toBe(before);

      const target = await userRow(denied.id);
      const patched = await patch(denied.id, body).expect(400);
      expect(patched.body.error.code).toBe('VALIDATION_ERROR');
      expect(await userRow(denied.id)).toEqual(target);
    });

    it('lets only admins change them', async () => {
      const res = await t
        .http()
        .patch(`/api/admin/users/${denied.id}`)
        .set(bearer(allowed.apiToken))
        .send({ can_send_urgent: true })
        .expect(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
      expect(await userRow(denied.id)).toEqual({ can_send_urgent: false, weight: 1 });
    });
  });

  describe('who may send urgent', () => {
    const URGENT_WAYS = [
      { adhoc: true },
      { priority: 'urgent' },
      { adhoc: true, priority: 'urgent' },
    ];
    const NORMAL_WAYS = [
      {},
      { adhoc: false },
      { priority: 'normal' },
      { adhoc: false, priority: 'normal' },
    ];

    it.each(URGENT_WAYS)(
      'queues %j on the urgent lane for an admin and a user with the right, on both routes',
      async (lane) => {
        for (const token of [admin, adminUser.apiToken, allowed.apiToken, allowed.sessionToken]) {
          const one = await sendOne(t, token, {
            recipient: hkMobile(1),
            content: 'code 1234',
            ...lane,
          });
          expect(one.status).toBe(202);
          expect(one.body.data).toMatchObject({ adhoc: true, priority: 'urgent' });
          expect(await lanesOf(one.body.data.id)).toEqual({ adhoc: true, priorities: [0] });

          const bulk = await sendBulk(t, token, {
            recipients: hkMobiles(3),
            content: 'x',
            ...lane,
          });
          expect(bulk.status).toBe(202);
          expect(bulk.body.data).toMatchObject({ adhoc: true, priority: 'urgent' });
          expect(await lanesOf(bulk.body.data.id)).toEqual({ adhoc: true, priorities: [0] });
        }
      },
    );

    it.each(URGENT_WAYS)(
      'answers %j from a user without the right with 403 FORBIDDEN and queues nothing',
      async (lane) => {
        const before = await countRows(t);
        for (const token of [denied.apiToken, denied.sessionToken]) {
          const one = await sendOne(t, token, { recipient: hkMobile(1), content: 'hi', ...lane });
          expect(one.status).toBe(403);
          expect(one.body.success).toBe(false);
          expect(one.body.error.code).toBe('FORBIDDEN');
          expect(one.body.error.message).toMatch(/may not send urgent SMS/);

          const bulk = await sendBulk(t, token, {
            recipients: hkMobiles(3),
            content: 'hi',
            ...lane,
          });
          expect(bulk.status).toBe(403);
          expect(bulk.body.error.code).toBe('FORBIDDEN');
          expect(bulk.body.error.message).toMatch(/may not send urgent SMS/);
        }
        expect(await countRows(t)).toEqual(before);
      },
    );

    it.each(NORMAL_WAYS)('queues %j on the normal lane for anyone', async (lane) => {
      for (const token of [admin, allowed.apiToken, denied.apiToken]) {
        const one = await sendOne(t, token, { recipient: hkMobile(2), content: 'hello', ...lane });
        expect(one.status).toBe(202);
        expect(one.body.data).toMatchObject({ adhoc: false, priority: 'normal' });
        expect(await lanesOf(one.body.data.id)).toEqual({ adhoc: false, priorities: [1] });
        const bulk = await sendBulk(t, token, { recipients: hkMobiles(2), content: 'x', ...lane });
        expect(bulk.status).toBe(202);
        expect(await lanesOf(bulk.body.data.id)).toEqual({ adhoc: false, priorities: [1] });
      }
    });

    it.each([
      { adhoc: true, priority: 'normal' },
      { adhoc: false, priority: 'urgent' },
    ])('refuses the contradiction %j with 400 VALIDATION_ERROR, also for admins', async (lane) => {
      const before = await countRows(t);
      for (const token of [admin, allowed.apiToken, denied.apiToken]) {
        const one = await sendOne(t, token, { recipient: hkMobile(1), content: 'hi', ...lane });
        expect(one.status).toBe(400);
        expect(one.body.error.code).toBe('VALIDATION_ERROR');
        expect(one.body.error.details).toEqual([expect.objectContaining({ field: 'priority' })]);
        const bulk = await sendBulk(t, token, { recipients: hkMobiles(2), content: 'hi', ...lane });
        expect(bulk.status).toBe(400);
        expect(bulk.body.error.code).toBe('VALIDATION_ERROR');
      }
      expect(await countRows(t)).toEqual(before);
    });

    it.each(['URGENT', 'high', '', 0, null, true])(
      'refuses priority %j with 400 VALIDATION_ERROR',
      async (priority) => {
        const before = await countRows(t);
        const res = await sendOne(t, admin, { recipient: hkMobile(1), content: 'hi', priority });
        expect(res.status).toBe(400);
        expect(res.body.error.code).toBe('VALIDATION_ERROR');
        expect(await countRows(t)).toEqual(before);
      },
    );

    it('follows the right as an admin grants and withdraws it, from the next request on', async () => {
      const u = await createUser(t);
      const urgent = { recipient: hkMobile(3), content: 'now', priority: 'urgent' };
      expect((await sendOne(t, u.apiToken, urgent)).status).toBe(403);
      await patch(u.id, { can_send_urgent: true }).expect(200);
      expect((await sendOne(t, u.apiToken, urgent)).status).toBe(202);
      expect((await sendOne(t, u.sessionToken, urgent)).status).toBe(202);
      await patch(u.id, { can_send_urgent: false }).expect(200);
      expect((await sendOne(t, u.apiToken, urgent)).status).toBe(403);
      // A fresh login sees the same.
      const session = await login(t, u.username, u.password);
      expect((await sendOne(t, session, urgent)).status).toBe(403);
    });

    it('treats adhoc true and priority "urgent" as one request for the Idempotency-Key', async () => {
      const key = `lanes-${Date.now()}`;
      const send = (lane: object) =>
        t
          .http()
          .post('/api/sms')
          .set(bearer(allowed.apiToken))
          .set('Idempotency-Key', key)
          .send({ recipient: hkMobile(4), content: 'same', ...lane });
      const first = await send({ adhoc: true }).expect(202);
      const again = await send({ priority: 'urgent' }).expect(202);
      expect(again.body.data.id).toBe(first.body.data.id);
      expect((await send({ priority: 'normal' })).status).toBe(409);
    });

    it('shows the lane in the job list and detail', async () => {
      const u = await createUser(t, { canSendUrgent: true });
      const a = await sendOne(t, u.apiToken, {
        recipient: hkMobile(5),
        content: 'a',
        priority: 'urgent',
      });
      await sendOne(t, u.apiToken, { recipient: hkMobile(5), content: 'b' }).expect(202);
      const detail = await t
        .http()
        .get(`/api/sms/${a.body.data.id}`)
        .set(bearer(u.apiToken))
        .expect(200);
      expect(detail.body.data).toMatchObject({ adhoc: true, priority: 'urgent' });
      const list = await t.http().get('/api/sms').set(bearer(u.apiToken)).expect(200);
      expect(
        list.body.data.messages.map((m: { adhoc: boolean; priority: string }) => [
          m.adhoc,
          m.priority,
        ]),
      ).toEqual([
        [false, 'normal'],
        [true, 'urgent'],
      ]);
    });
  });
});
