import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sendBulk } from './fixtures/messages.js';
import { bearer, createUser, TestUser } from './fixtures/users.js';
import { eventually } from './fixtures/waiting.js';
import { FakeGateway } from './support/fake-gateway.js';
import { createTestApp, TestApp } from './support/test-app.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

const SECRET = 'receipt-secret-for-tests-0123456789';

describe('Delivery receipts from the gateway (e2e)', () => {
  let gw: FakeGateway;
  let rx: WebhookReceiver;
  let t: TestApp;
  let alice: TestUser;

  beforeAll(async () => {
    gw = await FakeGateway.start();
    rx = await WebhookReceiver.start();
    t = await createTestApp(
      {
        SMS_PROVIDER: 'http',
        SMS_BASE_URL: gw.url,
        SMS_RATE_PER_SEC: '200',
        SMS_BURST_CAPACITY: '20',
        QUEUE_POLL_MS: '200',
        SMS_RECEIPT_SECRET: SECRET,
        WEBHOOK_ALLOW_PRIVATE: 'true',
      },
      'receipts',
    );
    alice = await createUser(t, { username: 'alice_rc' });
  });
  afterAll(async () => {
    await t.close();
    await rx.stop();
    await gw.stop();
  });

  const receipts = (body: unknown, auth = `Bearer ${SECRET}`) =>
    t
      .http()
      .post('/api/gateway/receipts')
      .set('Authorization', auth)
      .send(body as object);
  const job = async (id: number) =>
    (await t.http().get(`/api/sms/${id}`).set(bearer(alice.apiToken)).expect(200)).body.data;

  it('keeps the gateway id, applies receipts once each, counts them and reports them by webhook', async () => {
    await t
      .http()
      .post('/api/webhooks')
      .set(bearer(alice.apiToken))
      .send({ url: rx.url(), events: ['recipient.delivered', 'recipient.undelivered'] })
      .expect(201);
    gw.script('+85291000001', [{ status: 200, body: '{"id":"gw-a"}' }]);
    gw.script('+85291000002', [{ status: 200, body: '{"message_id":4242,"queued":true}' }]);
    gw.script('+85291000003', [{ status: 200, body: 'OK' }]);
    const { id } = (
      await sendBulk(t, alice.apiToken, {
        recipients: ['+85291000001', '+85291000002', '+85291000003'],
        content: 'r',
      }).expect(202)
    ).body.data;
    await eventually(async () => (await job(id)).completed_at);
    const ids = await t.db.dataSource.query(
      `SELECT gateway_message_id FROM recipients WHERE message_id = $1 ORDER BY ordinal`,
      [id],
    );
    expect(ids.map((r: { gateway_message_id: string }) => r.gateway_message_id)).toEqual([
      'gw-a',
      '4242',
      null,
    ]);

    const first = await receipts([
      { gateway_message_id: 'gw-a', status: 'delivered', at: '2026-11-28T10:00:03.000Z' },
      { gateway_message_id: '4242', status: 'undelivered', error: 'absent subscriber' },
      { gateway_message_id: 'nope', status: 'delivered' },
    ]).expect(200);
    expect(first.body.data).toEqual({ accepted: 2, unknown: ['nope'] });
    expect(await job(id)).toMatchObject({ delivered_count: 1, undelivered_count: 1 });
    const list = (
      await t.http().get(`/api/sms/${id}/recipients`).set(bearer(alice.apiToken)).expect(200)
    ).body.data.recipients;
    expect(list.map((r: { delivery_status: string }) => r.delivery_status)).toEqual([
      'delivered',
      'undelivered',
      'unknown',
    ]);
    expect(list[0].delivered_at).toBe('2026-11-28T10:00:03.000Z');
    expect(list[1].error_message).toBe('absent subscriber');

    // Repeats change nothing; delivered is final; a late delivered beats an undelivered.
    const again = await receipts([
      { gateway_message_id: 'gw-a', status: 'delivered' },
      { gateway_message_id: 'gw-a', status: 'undelivered' },
    ]).expect(200);
    expect(again.body.data).toEqual({ accepted: 2, unknown: [] });
    await receipts({ gateway_message_id: '4242', status: 'delivered' }).expect(200);
    expect(await job(id)).toMatchObject({ delivered_count: 2, undelivered_count: 0 });

    await rx.waitFor((all) => all.length >= 3);
    await new Promise((r) => setTimeout(r, 500));
    const got = rx.received.map((h) => [h.json.type, h.json.data.recipient.phone]);
    expect(got.sort()).toEqual([
      ['recipient.delivered', '+85291000001'],
      ['recipient.delivered', '+85291000002'],
      ['recipient.undelivered', '+85291000002'],
    ]);
    const delivered = rx.received.find((h) => h.json.data.recipient.phone === '+85291000001')!;
    expect(delivered.json.data.message).toMatchObject({ id, delivered_count: 1 });
    expect(delivered.json.data.recipient).toMatchObject({
      delivery_status: 'delivered',
      delivered_at: '2026-11-28T10:00:03.000Z',
    });
  });

  it('takes only the receipt secret, and up to 1 000 valid receipts', async () => {
    const one = { gateway_message_id: 'x', status: 'delivered' };
    for (const auth of ['', 'Bearer wrong', SECRET, `Basic ${SECRET}`]) {
      const res = await receipts(one, auth).expect(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
    }
    await receipts(one, `Bearer ${alice.apiToken}`).expect(401);
    await receipts({ gateway_message_id: 'x', status: 'read' }).expect(400);
    await receipts({ gateway_message_id: 'x', status: 'delivered', extra: 1 }).expect(400);
    await receipts([one, 'x']).expect(400);
    await receipts([]).expect(400);
    const many = Array.from({ length: 1000 }, (_, i) => ({
      gateway_message_id: `unknown-${i}-${'z'.repeat(60)}`,
      status: 'undelivered',
      error: 'e'.repeat(20),
    }));
    const ok = await receipts(many).expect(200);
    expect(ok.body.data.unknown).toHaveLength(1000);
    await receipts([...many, one]).expect(413);
  });

  it('is not there (404) when SMS_RECEIPT_SECRET is not set', async () => {
    const other = await createTestApp({ QUEUE_ROLE: 'api' }, 'receipts2', t.db);
    try {
      const res = await other
        .http()
        .post('/api/gateway/receipts')
        .set('Authorization', `Bearer ${SECRET}`)
        .send({ gateway_message_id: 'gw-a', status: 'delivered' })
        .expect(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    } finally {
      await other.close();
    }
  });
});
