import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { countRows, hkMobiles, sendBulk, sendOne } from './fixtures/messages.js';
import { adminSession, bearer, createUser, TestUser } from './fixtures/users.js';
import { createTestApp, TestApp } from './support/test-app.js';

/**
 * CONTENT.md, templates: CRUD per user with versions, the admin listing, placeholder errors
 * with their position, and jobs that keep the template version and text they were made from.
 */
describe('Templates (e2e)', () => {
  let t: TestApp;
  let admin: string;
  let alice: TestUser;
  let bob: TestUser;

  const create = (token: string, body: object) =>
    t.http().post('/api/templates').set(bearer(token)).send(body);

  beforeAll(async () => {
    t = await createTestApp({ QUEUE_ROLE: 'api' }, 'templates');
    admin = await adminSession(t);
    alice = await createUser(t, { username: 'tpl_alice' });
    bob = await createUser(t, { username: 'tpl_bob' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates a template listing its placeholders once, in order of first use', async () => {
    const res = await create(alice.apiToken, {
      name: 'Reminder',
      content: 'Dear {{Name}}, on {{ date }}: {{NAME}}',
    }).expect(201);
    expect(res.body.data).toMatchObject({
      name: 'Reminder',
      content: 'Dear {{Name}}, on {{ date }}: {{NAME}}',
      placeholders: ['Name', 'date'],
      version: 1,
    });
    expect(typeof res.body.data.id).toBe('number');
    expect(res.body.data.created_at).toEqual(res.body.data.updated_at);
  });

  it.each([
    ['Hi {{name', 3],
    ['Hi name}}', 7],
    ['Hi {{9lives}}', 3],
  ])('refuses %j with 400 giving the position %d, and stores nothing', async (content, pos) => {
    const [before] = await t.db.dataSource.query(`SELECT count(*)::int AS n FROM templates`);
    const res = await create(alice.apiToken, { name: 'Bad', content }).expect(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(res.body.error.message).toContain(`position ${pos}`);
    expect(res.body.error.details[0]).toMatchObject({ field: 'content', position: pos });
    const [after] = await t.db.dataSource.query(`SELECT count(*)::int AS n FROM templates`);
    expect(after.n).toBe(before.n);
  });

  it.each([
    {},
    { name: '', content: 'x' },
    { name: 'x', content: 5 },
    { name: 'x', content: 'y', z: 1 },
    // Control characters (SECURITY.md content rules): none in names, only \n, \r, \t in texts.
    { name: 'x', content: 'bell \u0007 here' },
    { name: 'x', content: 'escape \u001b[31m' },
    { name: 'tab\there', content: 'y' },
    { name: 'x', content: 'lone \ud800 surrogate' },
  ])('refuses the body %j with 400', async (body) => {
    const res = await create(alice.apiToken, body).expect(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
  });

  it("is its owner's alone: 404 for others, admins list everyone's with all=true", async () => {
    const mine = (await create(bob.apiToken, { name: 'Bob only', content: 'Hi' }).expect(201)).body
      .data;
    await t.http().get(`/api/templates/${mine.id}`).set(bearer(alice.apiToken)).expect(404);
    await t
      .http()
      .patch(`/api/templates/${mine.id}`)
      .set(bearer(alice.apiToken))
      .send({ name: 'x' })
      .expect(404);
    await t.http().delete(`/api/templates/${mine.id}`).set(bearer(alice.apiToken)).expect(404);
    const aliceList = await t.http().get('/api/templates').set(bearer(alice.apiToken)).expect(200);
    expect(aliceList.body.data.templates.map((x: { id: number }) => x.id)).not.toContain(mine.id);
    await t.http().get('/api/templates?all=true').set(bearer(alice.apiToken)).expect(403);
    const all = await t.http().get('/api/templates?all=true').set(bearer(admin)).expect(200);
    const bobs = all.body.data.templates.find((x: { id: number }) => x.id === mine.id);
    expect(bobs).toMatchObject({ owner_username: 'tpl_bob', user_id: bob.id });
    const searched = await t
      .http()
      .get('/api/templates?q=bob%20ONLY')
      .set(bearer(bob.apiToken))
      .expect(200);
    expect(searched.body.data.templates.map((x: { id: number }) => x.id)).toEqual([mine.id]);
    expect(searched.body.data.total).toBe(1);
  });

  it('an update is a new version; jobs keep the version and text they were made from', async () => {
    const tpl = (
      await create(alice.apiToken, { name: 'Notice', content: 'Office closed.' }).expect(201)
    ).body.data;
    const job = await sendBulk(t, alice.apiToken, {
      recipients: hkMobiles(2),
      template_id: tpl.id,
    }).expect(202);
    expect(job.body.data).toMatchObject({
      content: 'Office closed.',
      template_id: tpl.id,
      template_version: 1,
      total: 2,
    });

    const v2 = await t
      .http()
      .patch(`/api/templates/${tpl.id}`)
      .set(bearer(alice.apiToken))
      .send({ content: 'Office open.' })
      .expect(200);
    expect(v2.body.data).toMatchObject({ name: 'Notice', content: 'Office open.', version: 2 });
    const single = await sendOne(t, alice.apiToken, {
      recipient: '+85261234567',
      template_id: tpl.id,
    }).expect(202);
    expect(single.body.data).toMatchObject({ content: 'Office open.', template_version: 2 });
    const versions = await t.db.dataSource.query(
      `SELECT version, content FROM template_versions WHERE template_id = $1 ORDER BY version`,
      [tpl.id],
    );
    expect(versions).toEqual([
      { version: 1, content: 'Office closed.' },
      { version: 2, content: 'Office open.' },
    ]);

    await t.http().delete(`/api/templates/${tpl.id}`).set(bearer(alice.apiToken)).expect(204);
    await t.http().get(`/api/templates/${tpl.id}`).set(bearer(alice.apiToken)).expect(404);
    const kept = await t
      .http()
      .get(`/api/sms/${job.body.data.id}`)
      .set(bearer(alice.apiToken))
      .expect(200);
    expect(kept.body.data).toMatchObject({
      content: 'Office closed.',
      template_id: tpl.id,
      template_version: 1,
    });
    await sendBulk(t, alice.apiToken, { recipients: hkMobiles(1), template_id: tpl.id }).expect(
      404,
    );
  });

  it('sending needs exactly one of content and template_id, and a template that is yours', async () => {
    const before = await countRows(t);
    const tpl = (await create(bob.apiToken, { name: 'B', content: 'Hi' }).expect(201)).body.data;
    for (const body of [
      { recipients: hkMobiles(1) },
      { recipients: hkMobiles(1), content: 'x', template_id: tpl.id },
      { recipients: hkMobiles(1), template_id: 'one' },
      { recipients: hkMobiles(1), template_id: 0 },
    ]) {
      const res = await sendBulk(t, alice.apiToken, body).expect(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
    }
    await sendBulk(t, alice.apiToken, { recipients: hkMobiles(1), template_id: tpl.id }).expect(
      404,
    );
    expect(await countRows(t)).toEqual(before);
  });

  it('a template with placeholders and plain numbers: 400 MISSING_FIELDS, nothing queued', async () => {
    const before = await countRows(t);
    const tpl = (
      await create(alice.apiToken, { name: 'P', content: 'Dear {{name}} at {{Time}}' }).expect(201)
    ).body.data;
    const res = await sendBulk(t, alice.apiToken, {
      recipients: hkMobiles(150),
      template_id: tpl.id,
    }).expect(400);
    expect(res.body.error.code).toBe('MISSING_FIELDS');
    expect(res.body.error.message).toContain('150 recipient(s)');
    expect(res.body.error.details).toHaveLength(100);
    expect(res.body.error.details[3]).toMatchObject({
      field: 'recipients[3]',
      index: 3,
      value: hkMobiles(4)[3],
      missing: ['name', 'time'],
      total: 150,
    });
    expect(await countRows(t)).toEqual(before);
  });
});
