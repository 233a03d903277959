import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from './fixtures/waiting.js';
import { AppProcess, startApp } from './support/app-process.js';
import { FakeGateway } from './support/fake-gateway.js';
import { createTestDatabase, TestDatabase } from './support/test-database.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

/**
 * WEBHOOKS.md, "Durable and at-least-once", with real processes of the built app: the event
 * commits with the SMS's result, so a process killed (SIGKILL) before its receiver got or
 * answered the event loses nothing; the next process delivers it once the dead one's lease
 * has run out (timeout + 5 s).
 */
describe('Webhooks survive a crash between the state change and the delivery (e2e)', () => {
  let db: TestDatabase;
  let gw: FakeGateway;
  let rx: WebhookReceiver;
  const apps: AppProcess[] = [];

  const start = (label: string) =>
    startApp(
      {
        DATABASE_URL: db.url,
        SMS_PROVIDER: 'http',
        SMS_BASE_URL: gw.url,
        QUEUE_POLL_MS: '200',
        WEBHOOK_ALLOW_PRIVATE: 'true',
        WEBHOOK_TIMEOUT_MS: '2000',
        WEBHOOK_RETRY_BASE_MS: '200',
      },
      { label },
    ).then((app) => (apps.push(app), app));

  beforeAll(async () => {
    db = await createTestDatabase('whcrash');
    gw = await FakeGateway.start();
    rx = await WebhookReceiver.start();
  });
  afterAll(async () => {
    for (const app of apps) await app.stop();
    await rx.stop();
    await gw.stop();
    await db.drop();
  });

  it('delivers the event of an SMS recorded just before the process was killed', async () => {
    rx.defaultAnswer = { status: 200, hang: true };
    const first = await start('first');
    const ep = await first.api('POST', '/api/webhooks', {
      url: rx.url('/hook'),
      events: ['recipient.sent', 'message.completed'],
    });
    expect(ep.status).toBe(201);
    const sms = await first.api('POST', '/api/sms', { recipient: '+85291234567', content: 'hi' });
    expect(sms.status).toBe(202);
    // Killed the moment the SMS's result (and with it its event) is committed: whether the
    // receiver has the request yet or not, it has not answered.
    const event = await eventually(
      async () => {
        const rows = await db.dataSource.query(
          `SELECT public_id FROM webhook_events WHERE type = 'recipient.sent' AND message_id = $1`,
          [sms.body.data.id],
        );
        return rows[0] ?? null;
      },
      20_000,
      5,
    );
    first.kill('SIGKILL');
    await first.exited;
    const [before] = await db.dataSource.query(
      `SELECT d.status FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE e.public_id = $1`,
      [event.public_id],
    );
    expect(before.status).toBe('pending');

    rx.defaultAnswer = { status: 204 };
    const second = await start('second');
    await eventually(async () => {
      const [row] = await db.dataSource.query(
        `SELECT d.status FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE e.public_id = $1`,
        [event.public_id],
      );
      return row.status === 'delivered';
    }, 30_000);
    const got = rx.received.filter((h) => h.json?.id === event.public_id);
    expect(got.length).toBeGreaterThanOrEqual(1);
    expect(got.at(-1)!.json.data.recipient).toMatchObject({
      phone: '+85291234567',
      status: 'sent',
    });
    const log = (await second.api('GET', `/api/webhooks/${ep.body.data.id}/deliveries`)).body.data;
    expect(log.deliveries.every((d: { status: string }) => d.status === 'delivered')).toBe(true);
    expect(log.deliveries.map((d: { event_type: string }) => d.event_type).sort()).toEqual([
      'message.completed',
      'recipient.sent',
    ]);
  });
});
