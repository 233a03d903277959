import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sendBulk } from './fixtures/messages.js';
import { bearer, createUser, TestUser } from './fixtures/users.js';
import { eventually } from './fixtures/waiting.js';
import { FakeGateway } from './support/fake-gateway.js';
import { createTestApp, TestApp } from './support/test-app.js';
import { SmsEventsRepository } from '../src/webhooks/sms-events.repository.js';

const SECRET = 'receipt-secret-for-tests-0123456789';

interface SmsEvent {
  type: string;
  at: string;
  attempt?: number;
  detail?: string;
}

/** GET /api/sms/:id/recipients/:recipientId/events (WEBHOOKS.md, event history of one SMS). */
describe('Event history of one SMS (e2e)', () => {
  let gw: FakeGateway;
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    gw = await FakeGateway.start();
    t = await createTestApp(
      {
        SMS_PROVIDER: 'http',
        SMS_BASE_URL: gw.url,
        SMS_RATE_PER_SEC: '200',
        SMS_BURST_CAPACITY: '20',
        SMS_RETRY_BASE_MS: '200',
        SMS_RETRY_MAX_MS: '400',
        QUEUE_POLL_MS: '100',
        SMS_RECEIPT_SECRET: SECRET,
        EVENT_RETENTION_DAYS: '10',
      },
      'smsevents',
    );
    alice = await createUser(t, { username: 'alice_ev' });
    bob = await createUser(t, { username: 'bob_ev' });
  });
  afterAll(async () => {
    await t.close();
    await gw.stop();
  });

  const recipients = async (id: number) =>
    (await t.http().get(`/api/sms/${id}/recipients`).set(bearer(alice.apiToken)).expect(200)).body
      .data.recipients as { id: number; phone: string; status: string }[];
  const events = async (id: number, rid: number | string, token = alice.apiToken) =>
    (await t.http().get(`/api/sms/${id}/recipients/${rid}/events`).set(bearer(token)).expect(200))
      .body.data.events as SmsEvent[];
  const oldestFirst = (list: SmsEvent[]) =>
    expect(list.map((e) => e.at)).toEqual([...list.map((e) => e.at)].sort());

  it('tells queued, each attempt with the answer, the retry, the final state and the receipt, oldest first', async () => {
    gw.script('+85292000001', [
      { status: 503, body: 'busy' },
      { status: 200, body: '{"id":"gw-ev-1"}' },
    ]);
    gw.script('+85292000002', [{ status: 400, body: 'unknown subscriber' }]);
    const { id } = (
      await sendBulk(t, alice.apiToken, {
        recipients: ['+85292000001', '+85292000002', '+85292000003'],
        content: 'history',
      }).expect(202)
    ).body.data;
    const list = await eventually(async () => {
      const rs = await recipients(id);
      return rs.every((r) => r.status === 'sent' || r.status === 'failed') ? rs : null;
    });
    const [retried, failed, plain] = ['+85292000001', '+85292000002', '+85292000003'].map((p) =>
      list!.find((r) => r.phone === p)!,
    );
    await t
      .http()
      .post('/api/gateway/receipts')
      .set('Authorization', `Bearer ${SECRET}`)
      .send({ gateway_message_id: 'gw-ev-1', status: 'delivered' })
      .expect(200);

    const a = await events(id, retried.id);
    expect(a.map((e) => e.type)).toEqual([
      'queued',
      'attempt',
      'retry_scheduled',
      'attempt',
      'sent',
      'delivered',
    ]);
    expect(a[1]).toMatchObject({ attempt: 1, detail: expect.stringMatching(/503/) });
    expect(a[2]).toMatchObject({ attempt: 1, detail: expect.stringMatching(/^next attempt at /) });
    expect(a[3]).toMatchObject({ attempt: 2, detail: expect.stringContaining('gw-ev-1') });
    expect(a[4]).toMatchObject({ attempt: 2 });
    oldestFirst(a);

    const b = await events(id, failed.id);
    expect(b.map((e) => e.type)).toEqual(['queued', 'attempt', 'failed']);
    expect(b[2]).toMatchObject({ attempt: 1, detail: expect.stringMatching(/400/) });
    oldestFirst(b);

    const c = await events(id, plain.id);
    expect(c.map((e) => e.type)).toEqual(['queued', 'attempt', 'sent']);
    oldestFirst(c);

    // A logged row per retried or failed request only: none at ingest, none for a sent one.
    const rows = await t.db.dataSource.query(
      `SELECT recipient_id::int AS rid, attempt, outcome FROM sms_attempts WHERE message_id = $1
       ORDER BY recipient_id`,
      [id],
    );
    expect(rows).toEqual(
      [
        { rid: retried.id, attempt: 1, outcome: 'retry' },
        { rid: failed.id, attempt: 1, outcome: 'failed' },
      ].sort((x, y) => x.rid - y.rid),
    );
  });

  it('tells a cancelled SMS: queued, cancelled, and no attempt', async () => {
    const sendAt = new Date(Date.now() + 3_600_000).toISOString();
    const { id } = (
      await sendBulk(t, alice.apiToken, {
        recipients: ['+85292000011'],
        content: 'later',
        send_at: sendAt,
      }).expect(202)
    ).body.data;
    await t.http().post(`/api/sms/${id}/cancel`).set(bearer(alice.apiToken)).expect(200);
    const [r] = await recipients(id);
    expect((await events(id, r.id)).map((e) => e.type)).toEqual(['queued', 'cancelled']);
  });

  it("is the owner's only: another user, an unknown SMS or one of another job are 404; a bad id 400", async () => {
    gw.script('+85292000021', [{ status: 200, body: 'OK' }]);
    const { id } = (
      await sendBulk(t, alice.apiToken, { recipients: ['+85292000021'], content: 'mine' }).expect(
        202,
      )
    ).body.data;
    const [r] = await recipients(id);
    const get = (path: string, token: string) =>
      t.http().get(`/api/sms/${path}/events`).set(bearer(token));
    expect((await get(`${id}/recipients/${r.id}`, bob.apiToken).expect(404)).body.error.code).toBe(
      'NOT_FOUND',
    );
    await get(`${id}/recipients/${r.id + 100000}`, alice.apiToken).expect(404);
    await get(`${id + 100000}/recipients/${r.id}`, alice.apiToken).expect(404);
    await get(`${id - 1}/recipients/${r.id}`, alice.apiToken).expect(404);
    expect((await get(`${id}/recipients/abc`, alice.apiToken).expect(400)).body.error.code).toBe(
      'VALIDATION_ERROR',
    );
    await t.http().get(`/api/sms/${id}/recipients/${r.id}/events`).expect(401);
  });

  it('answers nothing older than EVENT_RETENTION_DAYS, and housekeeping prunes the attempts log', async () => {
    gw.script('+85292000031', [
      { status: 503, body: 'busy' },
      { status: 200, body: 'OK' },
    ]);
    const { id } = (
      await sendBulk(t, alice.apiToken, { recipients: ['+85292000031'], content: 'old' }).expect(
        202,
      )
    ).body.data;
    const sent = await eventually(async () => {
      const rs = await recipients(id);
      return rs[0]?.status === 'sent' ? rs : null;
    });
    const r = sent![0];
    const ago = (days: number) => `now() - interval '${days} days'`;
    await t.db.dataSource.query(`UPDATE messages SET created_at = ${ago(12)} WHERE id = $1`, [id]);
    await t.db.dataSource.query(`UPDATE sms_attempts SET at = ${ago(11)} WHERE message_id = $1`, [
      id,
    ]);
    const kept = await events(id, r.id);
    expect(kept.map((e) => e.type)).toEqual(['attempt', 'sent']);
    expect(kept[0]).toMatchObject({ attempt: 2, detail: 'HTTP 200: OK' });

    await t.db.dataSource.query(`UPDATE sms_attempts SET at = ${ago(9)} WHERE message_id = $1`, [
      id,
    ]);
    await t.app.get(SmsEventsRepository).prune(10);
    const count = async () =>
      (
        await t.db.dataSource.query(
          `SELECT count(*)::int AS n FROM sms_attempts WHERE message_id = $1`,
          [id],
        )
      )[0].n;
    expect(await count()).toBe(1);
    await t.db.dataSource.query(`UPDATE sms_attempts SET at = ${ago(11)} WHERE message_id = $1`, [
      id,
    ]);
    await t.app.get(SmsEventsRepository).prune(10);
    expect(await count()).toBe(0);
  });
});
