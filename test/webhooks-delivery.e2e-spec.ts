import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { hkMobiles, sendBulk, sendOne } from './fixtures/messages.js';
import { bearer, createUser, TestUser } from './fixtures/users.js';
import { eventually } from './fixtures/waiting.js';
import { FakeGateway } from './support/fake-gateway.js';
import { readmeBlock, readmeNodeVerifier, Verifier } from './support/readme-snippets.js';
import { createTestApp, TestApp } from './support/test-app.js';
import { ReceivedHook, WebhookReceiver } from './support/webhook-receiver.js';

describe('Webhook deliveries (e2e)', () => {
  let gw: FakeGateway;
  let rx: WebhookReceiver;
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let verify: Verifier;

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
        WEBHOOK_ALLOW_PRIVATE: 'true',
        WEBHOOK_RETRY_BASE_MS: '200',
        WEBHOOK_TIMEOUT_MS: '1000',
      },
      'whdeliver',
    );
    alice = await createUser(t, { username: 'alice_wh' });
    bob = await createUser(t, { username: 'bob_wh' });
    verify = await readmeNodeVerifier();
  });
  afterAll(async () => {
    await t.close();
    await rx.stop();
    await gw.stop();
  });
  beforeEach(async () => {
    rx.reset();
    gw.reset();
    await t.db.dataSource.query(`DELETE FROM webhook_endpoints`);
  });

  const register = async (user: TestUser, events: string[], path = '/hook') =>
    (
      await t
        .http()
        .post('/api/webhooks')
        .set(bearer(user.apiToken))
        .send({ url: rx.url(path), events })
        .expect(201)
    ).body.data as { id: number; secret: string };
  const deliveries = async (user: TestUser, id: number, query = '') =>
    (
      await t
        .http()
        .get(`/api/webhooks/${id}/deliveries${query}`)
        .set(bearer(user.apiToken))
        .expect(200)
    ).body.data;
  const types = (hooks: ReceivedHook[]) => hooks.map((h) => h.json.type).sort();
  const signed = (h: ReceivedHook, secret: string) =>
    verify(h.raw, String(h.headers['smspanel-signature']), secret);

  it("reports a job's life to its owner's endpoint, signed so the README's Node check accepts it", async () => {
    const ep = await register(alice, ['*']);
    gw.script('+85290000002', [{ status: 400, body: 'unknown subscriber' }]);
    const job = (
      await sendBulk(t, alice.apiToken, { recipients: hkMobiles(2, 1), content: 'hello' }).expect(
        202,
      )
    ).body.data;
    await rx.waitFor((all) => all.some((h) => h.json?.type === 'message.partial'));
    await rx.waitFor((all) => all.length >= 4);
    expect(types(rx.received)).toEqual([
      'message.partial',
      'message.started',
      'recipient.failed',
      'recipient.sent',
    ]);
    for (const h of rx.received) {
      expect(signed(h, ep.secret)).toBe(true);
      expect(verify(h.raw, String(h.headers['smspanel-signature']), 'whsec_wrong')).toBe(false);
      expect(
        verify(
          h.raw.replace('hello', 'HELLO') + ' ',
          String(h.headers['smspanel-signature']),
          ep.secret,
        ),
      ).toBe(false);
      expect(h.headers['content-type']).toBe('application/json');
      expect(h.headers['smspanel-event-id']).toBe(h.json.id);
      expect(h.headers['smspanel-event-type']).toBe(h.json.type);
      expect(h.json.id).toMatch(/^evt_[0-9a-f]{32}$/);
      expect(h.json.data.message.id).toBe(job.id);
    }
    const done = rx.received.find((h) => h.json.type === 'message.partial')!;
    expect(done.json.data.message).toMatchObject({
      job_status: 'partial',
      recipient_count: 2,
      success_count: 1,
      failed_count: 1,
      pending_count: 0,
    });
    const failed = rx.received.find((h) => h.json.type === 'recipient.failed')!;
    expect(failed.json.data.recipient).toMatchObject({
      phone: '+85290000002',
      status: 'failed',
      attempts: 1,
      delivery_status: 'unknown',
    });
    expect(failed.json.data.recipient.error_message).toContain('unknown subscriber');
    const sent = rx.received.find((h) => h.json.type === 'recipient.sent')!;
    expect(sent.json.data.recipient.sent_at).toMatch(/Z$/);
    const log = await eventually(async () => {
      const d = await deliveries(alice, ep.id, '?status=delivered');
      return d.total === 4 ? d : null;
    });
    expect(log.deliveries[0]).toMatchObject({
      status: 'delivered',
      attempts: 1,
      last_status_code: 200,
      last_error: null,
      next_attempt_at: null,
    });
  });

  it('the Python check in the README accepts a real delivery too', async () => {
    const ep = await register(alice, ['*']);
    await t.http().post(`/api/webhooks/${ep.id}/test`).set(bearer(alice.apiToken)).expect(202);
    await rx.waitFor((all) => all.length >= 1);
    const h = rx.received[0];
    const script = `${readmeBlock('python', '# Python 3')}
import sys
print(verify_smspanel_signature(sys.stdin.buffer.read(), sys.argv[1], sys.argv[2]))
print(verify_smspanel_signature(b"x", sys.argv[1], sys.argv[2]))`;
    const out = execFileSync(
      'python3',
      ['-c', script, String(h.headers['smspanel-signature']), ep.secret],
      {
        input: h.raw,
      },
    ).toString();
    expect(out.split('\n').slice(0, 2)).toEqual(['True', 'False']);
  });

  it("sends only the types an endpoint takes, and only its owner's", async () => {
    await register(alice, ['message.completed']);
    await sendOne(t, bob.apiToken, { recipient: '+85290001001', content: 'bob' }).expect(202);
    const job = (
      await sendOne(t, alice.apiToken, { recipient: '+85290001002', content: 'alice' }).expect(202)
    ).body.data;
    await rx.waitFor((all) => all.length >= 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(types(rx.received)).toEqual(['message.completed']);
    expect(rx.received[0].json.data.message).toMatchObject({ id: job.id, success_count: 1 });
    const [{ n }] = await t.db.dataSource.query(
      `SELECT count(*)::int AS n FROM webhook_events WHERE user_id = $1`,
      [bob.id],
    );
    expect(n).toBe(0);
  });

  it('reports a job that is complete when written: every number on the suppression list', async () => {
    await register(alice, ['message.completed']);
    await t.db.dataSource.query(
      `INSERT INTO suppressions (phone, reason) VALUES ('+85290001009', 'Replied STOP')`,
    );
    try {
      const job = (
        await sendOne(t, alice.apiToken, { recipient: '+85290001009', content: 'x' }).expect(202)
      ).body.data;
      expect(job.job_status).toBe('completed');
      await rx.waitFor((all) => all.length >= 1);
      expect(types(rx.received)).toEqual(['message.completed']);
      expect(rx.received[0].json.data.message).toMatchObject({
        id: job.id,
        job_status: 'completed',
        suppressed_count: 1,
        pending_count: 0,
      });
    } finally {
      await t.db.dataSource.query(`DELETE FROM suppressions`);
    }
  });

  it('writes no event at all while no endpoint is active', async () => {
    const ep = await register(alice, ['*']);
    await t
      .http()
      .patch(`/api/webhooks/${ep.id}`)
      .set(bearer(alice.apiToken))
      .send({ is_active: false })
      .expect(200);
    const [{ before }] = await t.db.dataSource.query(
      `SELECT count(*)::int AS before FROM webhook_events`,
    );
    const job = (
      await sendBulk(t, alice.apiToken, { recipients: hkMobiles(3, 30), content: 'x' }).expect(202)
    ).body.data;
    await eventually(async () => {
      const d = (await t.http().get(`/api/sms/${job.id}`).set(bearer(alice.apiToken))).body.data;
      return d.completed_at;
    });
    const [{ after }] = await t.db.dataSource.query(
      `SELECT count(*)::int AS after FROM webhook_events`,
    );
    expect(after).toBe(before);
    expect(rx.received).toHaveLength(0);
  });

  it('retries after 500s and timeouts until a 2xx, with a fresh signature each time', async () => {
    const ep = await register(alice, ['message.completed']);
    rx.answerNext({ status: 500, body: 'down' }, { status: 200, hang: true }, { status: 503 });
    await t.http().post(`/api/webhooks/${ep.id}/test`).set(bearer(alice.apiToken)).expect(202);
    // About 8.5 s of schedule (0.2 + 1 timeout + 1.2 + 6); room for a loaded machine (CI saw
    // only 3 attempts in 20 s once, with two test files and their apps on two cores).
    await rx.waitFor((all) => all.length >= 4, 60_000);
    expect(new Set(rx.received.map((h) => h.json.id)).size).toBe(1);
    rx.received.forEach((h) => expect(signed(h, ep.secret)).toBe(true));
    const log = await eventually(async () => {
      const d = await deliveries(alice, ep.id);
      return d.deliveries[0]?.status === 'delivered' ? d : null;
    });
    expect(log.deliveries[0]).toMatchObject({ last_status_code: 200, last_error: null });
    // Every request the receiver saw is one recorded attempt. On a loaded machine an answer
    // can miss the 1 s timeout too (CI once saw the 200 arrive late, so a fifth attempt was
    // made): that is at-least-once working, so count what arrived rather than assume four.
    expect(log.deliveries[0].attempts).toBeGreaterThanOrEqual(4);
    expect(log.deliveries[0].attempts).toBe(rx.received.length);
    // The gaps follow the schedule (base 200 ms: 200 ms, 1.2 s, 6 s ...), timeouts included.
    const gaps = rx.received.slice(1).map((h, i) => h.at - rx.received[i].at);
    expect(gaps[0]).toBeGreaterThanOrEqual(150);
    expect(gaps[1]).toBeGreaterThanOrEqual(1000 + 1000);
  }, 120_000);

  it('does not follow a redirect: the attempt fails and is retried at the same URL', async () => {
    const ep = await register(alice, ['message.completed']);
    rx.defaultAnswer = { status: 302, headers: { location: rx.url('/elsewhere') } };
    await t.http().post(`/api/webhooks/${ep.id}/test`).set(bearer(alice.apiToken)).expect(202);
    await rx.waitFor((all) => all.length >= 2);
    const log = await eventually(async () => {
      const d = await deliveries(alice, ep.id);
      return d.deliveries[0]?.last_status_code === 302 ? d : null;
    });
    expect(log.deliveries[0].status).toBe('pending');
    expect(log.deliveries[0].last_error).toMatch(/redirect.*not followed/);
    expect(log.deliveries[0].next_attempt_at).not.toBeNull();
    expect(rx.on('/elsewhere')).toHaveLength(0);
    expect(rx.on('/hook').length).toBeGreaterThanOrEqual(2);
  });

  it('signs with the rotated secret from then on, and redelivers on request', async () => {
    const ep = await register(alice, ['message.completed']);
    await t.http().post(`/api/webhooks/${ep.id}/test`).set(bearer(alice.apiToken)).expect(202);
    await rx.waitFor((all) => all.length >= 1);
    const rotated = (
      await t.http().post(`/api/webhooks/${ep.id}/secret`).set(bearer(alice.apiToken)).expect(201)
    ).body.data.secret;
    expect(rotated).toMatch(/^whsec_/);
    const first = (
      await eventually(async () => {
        const d = await deliveries(alice, ep.id);
        return d.deliveries[0]?.status === 'delivered' ? d : null;
      })
    ).deliveries[0];
    const again = await t
      .http()
      .post(`/api/webhooks/${ep.id}/deliveries/${first.id}/redeliver`)
      .set(bearer(alice.apiToken))
      .expect(202);
    expect(again.body.data).toMatchObject({ id: first.id, status: 'pending', attempts: 0 });
    await rx.waitFor((all) => all.length >= 2);
    expect(rx.received[1].json.id).toBe(rx.received[0].json.id);
    expect(signed(rx.received[1], rotated)).toBe(true);
    expect(signed(rx.received[1], ep.secret)).toBe(false);
    await t
      .http()
      .post(`/api/webhooks/${ep.id}/deliveries/999999/redeliver`)
      .set(bearer(alice.apiToken))
      .expect(404);
    await t
      .http()
      .post(`/api/webhooks/${ep.id}/deliveries/${first.id}/redeliver`)
      .set(bearer(bob.apiToken))
      .expect(404);
  });

  it('turns off an endpoint whose deliveries all failed for 24 h, which its owner sees', async () => {
    const ep = await register(alice, ['message.completed']);
    rx.defaultAnswer = { status: 500 };
    await t.db.dataSource.query(
      `UPDATE webhook_endpoints SET failing_since = now() - interval '25 hours' WHERE id = $1`,
      [ep.id],
    );
    await t.http().post(`/api/webhooks/${ep.id}/test`).set(bearer(alice.apiToken)).expect(202);
    const off = await eventually(async () => {
      const d = (await t.http().get(`/api/webhooks/${ep.id}`).set(bearer(alice.apiToken))).body
        .data;
      return d.is_active ? null : d;
    });
    expect(off.disabled_reason).toMatch(/failed for 24 hours.*HTTP 500/);
    await t.http().post(`/api/webhooks/${ep.id}/test`).set(bearer(alice.apiToken)).expect(409);
    const on = await t
      .http()
      .patch(`/api/webhooks/${ep.id}`)
      .set(bearer(alice.apiToken))
      .send({ is_active: true })
      .expect(200);
    expect(on.body.data).toMatchObject({ is_active: true, disabled_reason: null });
  });
});
