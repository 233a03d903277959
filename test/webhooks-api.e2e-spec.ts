import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { adminSession, bearer, createUser, TestUser } from './fixtures/users.js';
import { eventually } from './fixtures/waiting.js';
import { createTestApp, TestApp } from './support/test-app.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

/** The endpoints API as the default configuration has it: private addresses refused. */
describe('Webhook endpoints API (e2e)', () => {
  let t: TestApp;
  let rx: WebhookReceiver;
  let alice: TestUser;
  let bob: TestUser;
  let admin: string;

  beforeAll(async () => {
    rx = await WebhookReceiver.start();
    t = await createTestApp({ WEBHOOK_RETRY_BASE_MS: '100' }, 'whapi');
    alice = await createUser(t, { username: 'alice_wapi' });
    bob = await createUser(t, { username: 'bob_wapi' });
    admin = await adminSession(t);
  });
  afterAll(async () => {
    await t.close();
    await rx.stop();
  });

  const create = (token: string, body: object) =>
    t.http().post('/api/webhooks').set(bearer(token)).send(body);
  /** An endpoint saved straight into the database: the API would refuse its URL. */
  const insertEndpoint = async (userId: number, url: string) =>
    (
      await t.db.dataSource.query(
        `INSERT INTO webhook_endpoints (user_id, url, events, secret)
         VALUES ($1, $2, '{*}', 'whsec_test') RETURNING id`,
        [userId, url],
      )
    )[0].id as number;

  it.each([
    ['http://localhost/hook', /resolves to .*127\.0\.0\.1/],
    ['http://127.0.0.1:8080/hook', /127\.0\.0\.1/],
    ['http://[::1]/hook', /::1/],
    ['http://10.1.2.3/hook', /10\.1\.2\.3/],
    ['http://192.168.0.10/hook', /192\.168\.0\.10/],
    ['http://172.20.0.1/hook', /172\.20\.0\.1/],
    ['http://169.254.169.254/latest/meta-data', /169\.254\.169\.254/],
    ['http://0.0.0.0/hook', /0\.0\.0\.0/],
    ['http://[::ffff:127.0.0.1]/hook', /private/],
    ['http://[fe80::1]/hook', /fe80::1/],
    ['http://2130706433/hook', /127\.0\.0\.1/],
    ['ftp://example.com/hook', /http or https/],
    ['file:///etc/passwd', /http or https/],
    ['not a url', /absolute http or https URL/],
  ])('refuses %s (400 VALIDATION_ERROR, nothing saved)', async (url, why) => {
    const res = await create(alice.apiToken, { url, events: ['*'] }).expect(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(JSON.stringify(res.body.error)).toMatch(why);
    const [{ n }] = await t.db.dataSource.query(
      `SELECT count(*)::int AS n FROM webhook_endpoints WHERE url = $1`,
      [url],
    );
    expect(n).toBe(0);
  });

  it('refuses a URL over 2 000 characters (400)', async () => {
    const url = `https://93.184.216.34/${'a'.repeat(2000)}`;
    const res = await create(alice.apiToken, { url, events: ['*'] }).expect(400);
    expect(JSON.stringify(res.body.error)).toMatch(/url must be shorter than or equal to 2000/);
  });

  it.each([
    [{ url: 'https://example.com/h', events: [] }],
    [{ url: 'https://example.com/h', events: ['message.sent'] }],
    [{ url: 'https://example.com/h' }],
    [{ events: ['*'] }],
    [{ url: 'https://example.com/h', events: ['*'], secret: 'whsec_mine' }],
    [{ url: 'https://example.com/h', events: '*' }],
  ])('refuses a bad body %j (400)', async (body) => {
    const res = await create(alice.apiToken, body).expect(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
  });

  // Public hosts are given by address: the test machine may have no DNS.
  it('creates with a secret shown once; lists, reads, changes and deletes, owner only', async () => {
    const res = await create(alice.apiToken, {
      url: 'https://93.184.216.34/hooks/a',
      events: ['recipient.failed', 'message.completed', 'message.completed'],
      description: 'CRM',
    }).expect(201);
    const ep = res.body.data;
    expect(ep).toMatchObject({
      url: 'https://93.184.216.34/hooks/a',
      events: ['message.completed', 'recipient.failed'],
      description: 'CRM',
      is_active: true,
      disabled_reason: null,
    });
    expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const list = (await t.http().get('/api/webhooks').set(bearer(alice.apiToken)).expect(200)).body
      .data;
    expect(list).toMatchObject({ total: 1, pages: 1, current_page: 1 });
    expect(list.webhooks[0].id).toBe(ep.id);
    const one = (
      await t.http().get(`/api/webhooks/${ep.id}`).set(bearer(alice.apiToken)).expect(200)
    ).body.data;
    for (const body of [list, one]) expect(JSON.stringify(body)).not.toContain(ep.secret);

    // Another user (an admin too) sees nothing of it, whatever the route.
    for (const token of [bob.apiToken, admin]) {
      await t.http().get(`/api/webhooks/${ep.id}`).set(bearer(token)).expect(404);
      await t.http().patch(`/api/webhooks/${ep.id}`).set(bearer(token)).send({}).expect(404);
      await t.http().post(`/api/webhooks/${ep.id}/secret`).set(bearer(token)).expect(404);
      await t.http().post(`/api/webhooks/${ep.id}/test`).set(bearer(token)).expect(404);
      await t.http().get(`/api/webhooks/${ep.id}/deliveries`).set(bearer(token)).expect(404);
      await t.http().delete(`/api/webhooks/${ep.id}`).set(bearer(token)).expect(404);
      const theirs = (await t.http().get('/api/webhooks').set(bearer(token)).expect(200)).body.data;
      expect(theirs.webhooks.map((w: { id: number }) => w.id)).not.toContain(ep.id);
    }

    const patched = await t
      .http()
      .patch(`/api/webhooks/${ep.id}`)
      .set(bearer(alice.apiToken))
      .send({ events: ['recipient.sent', '*'], description: null })
      .expect(200);
    expect(patched.body.data).toMatchObject({ events: ['*'], description: null });
    await t
      .http()
      .patch(`/api/webhooks/${ep.id}`)
      .set(bearer(alice.apiToken))
      .send({ url: 'http://10.0.0.1/x' })
      .expect(400);
    await t.http().get('/api/webhooks/abc').set(bearer(alice.apiToken)).expect(400);
    await t.http().delete(`/api/webhooks/${ep.id}`).set(bearer(alice.apiToken)).expect(204);
    await t.http().get(`/api/webhooks/${ep.id}`).set(bearer(alice.apiToken)).expect(404);
  });

  it('lists every endpoint with its owner for admins only', async () => {
    const a = (await create(alice.apiToken, { url: 'https://93.184.216.34/a', events: ['*'] })).body
      .data;
    const b = (await create(bob.apiToken, { url: 'https://93.184.216.34/b', events: ['*'] })).body
      .data;
    await t.http().get('/api/admin/webhooks').set(bearer(alice.apiToken)).expect(403);
    const all = (await t.http().get('/api/admin/webhooks').set(bearer(admin)).expect(200)).body
      .data;
    const owners = Object.fromEntries(
      all.webhooks.map((w: { id: number; owner_username: string }) => [w.id, w.owner_username]),
    );
    expect(owners).toMatchObject({ [a.id]: alice.username, [b.id]: bob.username });
    expect(JSON.stringify(all)).not.toMatch(/whsec_/);
    const bobs = (
      await t.http().get(`/api/admin/webhooks?user_id=${bob.id}`).set(bearer(admin)).expect(200)
    ).body.data;
    expect(bobs.webhooks.map((w: { user_id: number }) => w.user_id)).toEqual([bob.id]);
  });

  it('checks the address again at delivery time: a URL that now reaches a private address gets nothing', async () => {
    // As if DNS had changed after the endpoint was saved: its URL now leads to this machine.
    const id = await insertEndpoint(bob.id, rx.url('/private'));
    await t.http().post(`/api/webhooks/${id}/test`).set(bearer(bob.apiToken)).expect(202);
    const log = await eventually(async () => {
      const d = (
        await t.http().get(`/api/webhooks/${id}/deliveries`).set(bearer(bob.apiToken)).expect(200)
      ).body.data;
      return d.deliveries[0]?.attempts >= 2 ? d : null;
    });
    expect(log.deliveries[0]).toMatchObject({ status: 'pending', last_status_code: null });
    expect(log.deliveries[0].last_error).toMatch(/^refused: 127\.0\.0\.1 is a private address/);
    expect(rx.received).toHaveLength(0);
  });
});
