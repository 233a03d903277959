import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { countRows, hkMobiles, sendBulk, sendOne } from './fixtures/messages.js';
import { bearer, createUser, TestUser } from './fixtures/users.js';
import { eventually } from './fixtures/waiting.js';
import { FakeGateway } from './support/fake-gateway.js';
import { createTestApp, TestApp } from './support/test-app.js';

/**
 * SCHEDULING.md, send windows over HTTP with a worker and the fake gateway: validation, the
 * server default (SMS_SEND_WINDOW) and `send_window: null`, a job outside its window waits
 * (nothing reaches the gateway, next_window_at and estimates at the opening), one inside is
 * sent, and WOULD_EXPIRE counts the closed hours. Windows are built around the present, in
 * Hong Kong time (UTC+8, no daylight saving), so the test runs at any hour.
 */
const HOUR = 3_600_000;
const hkHhMm = (ms: number) => {
  const d = new Date(ms + 8 * HOUR);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
};
/** A window opening `fromH` hours from now for `lengthH` hours (whole minutes). */
const windowIn = (fromH: number, lengthH: number) => ({
  start: hkHhMm(Date.now() + fromH * HOUR),
  end: hkHhMm(Date.now() + (fromH + lengthH) * HOUR),
  time_zone: 'Asia/Hong_Kong',
});
/** The start of the minute of `ms`. */
const minuteOf = (ms: number) => Math.floor(ms / 60_000) * 60_000;

describe('Send windows (e2e)', () => {
  let gw: FakeGateway;
  let t: TestApp;
  let user: TestUser;
  // The server default: closed for the next two hours.
  const closedDefault = windowIn(2, 3);

  const detail = async (id: number) =>
    (await t.http().get(`/api/sms/${id}`).set(bearer(user.apiToken)).expect(200)).body.data;

  beforeAll(async () => {
    gw = await FakeGateway.start();
    t = await createTestApp(
      {
        SMS_PROVIDER: 'http',
        SMS_BASE_URL: gw.url,
        SMS_RATE_PER_SEC: '20',
        SMS_BURST_CAPACITY: '5',
        QUEUE_POLL_MS: '200',
        SMS_SEND_WINDOW: `${closedDefault.start}-${closedDefault.end} Asia/Hong_Kong`,
      },
      'sendwindows',
    );
    user = await createUser(t, { username: 'win' });
  });
  afterAll(async () => {
    await t.close();
    await gw.stop();
  });

  it.each([
    [{ start: '9:00', end: '21:00', time_zone: 'Asia/Hong_Kong' }, 'start'],
    [{ start: '09:00', end: '24:00', time_zone: 'Asia/Hong_Kong' }, 'end'],
    [{ start: '09:00', end: '09:00', time_zone: 'Asia/Hong_Kong' }, 'differ'],
    [{ start: '09:00', end: '21:00', time_zone: 'Mars/Olympus' }, 'IANA'],
    [{ start: '09:00', end: '21:00' }, 'time_zone'],
    ['09:00-21:00', 'send_window'],
  ])('refuses send_window %j (400 naming %s), queueing nothing', async (sendWindow, word) => {
    const before = await countRows(t);
    const res = await sendOne(t, user.apiToken, {
      recipient: '+85261234567',
      content: 'x',
      send_window: sendWindow,
    }).expect(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(JSON.stringify(res.body.error)).toContain(word);
    expect(await countRows(t)).toEqual(before);
  });

  it('outside its window (the server default): waits held, nothing sent, estimates at the opening', async () => {
    const res = await sendBulk(t, user.apiToken, {
      recipients: hkMobiles(3, 0),
      content: 'quiet hours',
    }).expect(202);
    const opening = minuteOf(Date.now() + 2 * HOUR);
    const d = res.body.data;
    expect(d.send_window).toEqual(closedDefault);
    expect(d.job_status).toBe('pending');
    expect(d.queue_position).toBeNull();
    expect(Math.abs(Date.parse(d.next_window_at) - opening)).toBeLessThanOrEqual(60_000);
    expect(Date.parse(d.estimated_start_at)).toBeGreaterThanOrEqual(Date.parse(d.next_window_at));
    expect(Date.parse(d.estimated_complete_at)).toBeGreaterThanOrEqual(
      Date.parse(d.estimated_start_at),
    );
    const status = (await t.http().get('/api/queue/status').set(bearer(user.apiToken))).body.data;
    expect(status.user.share).toBe(0);
    await new Promise((r) => setTimeout(r, 1500));
    expect(gw.requests).toHaveLength(0);
    expect((await detail(d.id)).pending_count).toBe(3);
  });

  it('inside its window, or with send_window: null, it is sent at once', async () => {
    gw.reset();
    const open = windowIn(-1, 2);
    const inside = await sendBulk(t, user.apiToken, {
      recipients: hkMobiles(2, 10),
      content: 'open',
      send_window: open,
    }).expect(202);
    expect(inside.body.data.send_window).toEqual(open);
    expect(inside.body.data.next_window_at).toBeNull();
    const always = await sendOne(t, user.apiToken, {
      recipient: hkMobiles(1, 20)[0],
      content: 'always',
      send_window: null,
    }).expect(202);
    expect(always.body.data.send_window).toBeNull();
    for (const id of [inside.body.data.id, always.body.data.id]) {
      await eventually(async () => (await detail(id)).completed_at);
    }
    expect(gw.requests.map((r) => r.to).sort()).toEqual(
      [...hkMobiles(2, 10), ...hkMobiles(1, 20)].sort(),
    );
  });

  it('WOULD_EXPIRE counts the closed hours', async () => {
    const res = await sendOne(t, user.apiToken, {
      recipient: hkMobiles(1, 30)[0],
      content: 'code',
      validity_seconds: 3600,
    }).expect(422);
    expect(res.body.error.code).toBe('WOULD_EXPIRE');
    expect(Date.parse(res.body.error.details[0].estimated_complete_at)).toBeGreaterThanOrEqual(
      minuteOf(Date.now() + 2 * HOUR) - 60_000,
    );
  });

  describe("in a CSV upload's query", () => {
    const upload = (query: string, phone: string) =>
      t
        .http()
        .post(`/api/sms/send-csv?content=csv&${query}`)
        .set(bearer(user.apiToken))
        .set('Content-Type', 'text/csv')
        .send(Buffer.from(`phone\n${phone}\n`, 'utf8'));
    const spec = (w: { start: string; end: string; time_zone: string }) =>
      encodeURIComponent(`${w.start}-${w.end} ${w.time_zone}`);

    it('takes "HH:MM-HH:MM zone", "none" for always, and the default when absent', async () => {
      const open = windowIn(-1, 2);
      const given = await upload(`send_window=${spec(open)}`, hkMobiles(1, 40)[0]).expect(202);
      expect(given.body.data.send_window).toEqual(open);
      expect(given.body.data.next_window_at).toBeNull();
      const none = await upload('send_window=none', hkMobiles(1, 41)[0]).expect(202);
      expect(none.body.data.send_window).toBeNull();
      const absent = await upload('', hkMobiles(1, 42)[0]).expect(202);
      expect(absent.body.data.send_window).toEqual(closedDefault);
      expect(absent.body.data.next_window_at).not.toBeNull();
      // At the gateway: the open window's and the windowless job's SMS go, the default's waits.
      for (const id of [given.body.data.id, none.body.data.id]) {
        await eventually(async () => (await detail(id)).completed_at);
      }
      const sentTo = gw.requests.map((r) => r.to);
      expect(sentTo).toEqual(expect.arrayContaining([hkMobiles(1, 40)[0], hkMobiles(1, 41)[0]]));
      expect(sentTo).not.toContain(hkMobiles(1, 42)[0]);
      expect((await detail(absent.body.data.id)).pending_count).toBe(1);
    });

    it.each([
      ['09:00-21:00', 'send_window'],
      ['09:00-24:00 Asia/Hong_Kong', 'end'],
      ['09:00-21:00 Mars/Olympus', 'IANA'],
    ])('refuses send_window=%j (400 naming %s), queueing nothing', async (value, word) => {
      const before = await countRows(t);
      const res = await upload(`send_window=${encodeURIComponent(value)}`, hkMobiles(1, 43)[0]);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(JSON.stringify(res.body.error)).toContain(word);
      expect(await countRows(t)).toEqual(before);
    });
  });
});
