import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { countRows, sendBulk } from './fixtures/messages.js';
import { bearer, createUser, TestUser } from './fixtures/users.js';
import { FakeGateway } from './support/fake-gateway.js';
import { createTestApp, TestApp } from './support/test-app.js';

/**
 * CONTENT.md, personalised bulk: recipients as {phone, vars}, content or a template rendered
 * per recipient, segments counted on each text, MISSING_FIELDS naming the rows, and the
 * gateway receiving each recipient's own text.
 */
describe('Personalised bulk (e2e)', () => {
  let gw: FakeGateway;
  let t: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    gw = await FakeGateway.start();
    t = await createTestApp(
      {
        SMS_PROVIDER: 'http',
        SMS_BASE_URL: gw.url,
        SMS_RATE_PER_SEC: '50',
        SMS_BURST_CAPACITY: '50',
        QUEUE_POLL_MS: '200',
      },
      'personalised',
    );
    user = await createUser(t, { username: 'pers' });
  });
  beforeEach(() => gw.reset());
  afterAll(async () => {
    await t.close();
    await gw.stop();
  });

  it('sends each recipient its own rendered text, counting segments on each', async () => {
    const tpl = (
      await t
        .http()
        .post('/api/templates')
        .set(bearer(user.apiToken))
        .send({ name: 'Appt', content: 'Dear {{Name}}, see you at {{time}}.' })
        .expect(201)
    ).body.data;
    const long = 'x'.repeat(200);
    const res = await sendBulk(t, user.apiToken, {
      template_id: tpl.id,
      recipients: [
        { phone: '+85291000001', vars: { name: 'Chan', time: '10:00' } },
        { phone: '+852 9100 0002', vars: { NAME: 'Wong', Time: 9 } },
        { phone: '+85291000001', vars: { name: 'Dup', time: '11:00' } },
        { phone: '+85291000003', vars: { name: long, time: '12:00' } },
      ],
    }).expect(202);
    expect(res.body.data).toMatchObject({
      personalised: true,
      template_id: tpl.id,
      template_version: 1,
      content: 'Dear {{Name}}, see you at {{time}}.',
      total: 3,
      duplicates_removed: 1,
      segments: 2,
      total_segments: 4,
    });
    await gw.waitForRequests(3);
    const texts = Object.fromEntries(gw.requests.map((r) => [r.to, r.text]));
    expect(texts).toEqual({
      '+85291000001': 'Dear Chan, see you at 10:00.',
      '+85291000002': 'Dear Wong, see you at 9.',
      '+85291000003': `Dear ${long}, see you at 12:00.`,
    });
    const list = await t
      .http()
      .get(`/api/sms/${res.body.data.id}/recipients`)
      .set(bearer(user.apiToken))
      .expect(200);
    expect(list.body.data.recipients.map((r: { content: string }) => r.content)).toEqual([
      'Dear Chan, see you at 10:00.',
      'Dear Wong, see you at 9.',
      `Dear ${long}, see you at 12:00.`,
    ]);
  });

  it('renders content given inline, and a plain bulk is unchanged', async () => {
    const res = await sendBulk(t, user.apiToken, {
      content: 'Hi {{n}}',
      recipients: [
        { phone: '+85291000011', vars: { n: 'A' } },
        { phone: '+85291000012', vars: { n: 'B' } },
      ],
    }).expect(202);
    expect(res.body.data).toMatchObject({
      personalised: true,
      template_id: null,
      total_segments: 2,
    });
    const plain = await sendBulk(t, user.apiToken, {
      content: 'Hi {{n}}',
      recipients: ['+85291000013'],
    }).expect(202);
    expect(plain.body.data).toMatchObject({
      personalised: false,
      content: 'Hi {{n}}',
      total_segments: 1,
    });
    await gw.waitForRequests(3);
    expect(gw.requests.map((r) => r.text).sort()).toEqual(['Hi A', 'Hi B', 'Hi {{n}}']);
    const [stored] = await t.db.dataSource.query(
      `SELECT count(*) FILTER (WHERE content IS NOT NULL)::int AS own FROM recipients WHERE message_id = $1`,
      [plain.body.data.id],
    );
    expect(stored.own).toBe(0);
  });

  it('400 MISSING_FIELDS names the rows and fields; nothing is queued', async () => {
    const before = await countRows(t);
    const recipients = Array.from({ length: 120 }, (_, i) => ({
      phone: `+8529200${String(i).padStart(4, '0')}`,
      vars: i % 2 === 0 ? { name: 'x' } : { name: 'y', when: 'now' },
    }));
    const res = await sendBulk(t, user.apiToken, {
      content: 'Hi {{name}} {{when}}',
      recipients,
    }).expect(400);
    expect(res.body.error.code).toBe('MISSING_FIELDS');
    expect(res.body.error.message).toContain('60 recipient(s)');
    expect(res.body.error.details[1]).toMatchObject({
      field: 'recipients[2]',
      index: 2,
      value: '+85292000002',
      missing: ['when'],
      total: 60,
    });
    expect(await countRows(t)).toEqual(before);
  });

  it.each([
    [
      'mixed strings and objects',
      [{ phone: '+85291000001' }, '+85291000002'],
      'INVALID_PHONE_FORMAT',
      'recipients[0]',
    ],
    [
      'a phone that is no string',
      [{ phone: 85291000001 }],
      'VALIDATION_ERROR',
      'recipients[0].phone',
    ],
    [
      'vars that are no object',
      [{ phone: '+85291000001', vars: [] }],
      'VALIDATION_ERROR',
      'recipients[0].vars',
    ],
    [
      'a value that is an object',
      [{ phone: '+85291000001', vars: { a: {} } }],
      'VALIDATION_ERROR',
      'recipients[0].vars.a',
    ],
    [
      'an unknown property',
      [{ phone: '+85291000001', x: 1 }],
      'VALIDATION_ERROR',
      'recipients[0].x',
    ],
    ['a bad number', [{ phone: '+8529' }], 'INVALID_PHONE_FORMAT', 'recipients[0].phone'],
    [
      'a rendered text too long',
      [{ phone: '+85291000001', vars: { a: '中'.repeat(1000) } }],
      'CONTENT_TOO_LONG',
      'recipients[0]',
    ],
    [
      'a control character in a value',
      [{ phone: '+85291000001', vars: { a: '\u0000' } }],
      'VALIDATION_ERROR',
      'recipients[0]',
    ],
  ])(
    'refuses %s (%j) with 400 %s naming %s, queueing nothing',
    async (_, recipients, code, field) => {
      const before = await countRows(t);
      const res = await sendBulk(t, user.apiToken, { content: 'Hi {{a}}', recipients }).expect(400);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.details[0].field).toBe(field);
      expect(await countRows(t)).toEqual(before);
    },
  );

  it.each([
    ['sent at once', {}],
    ['held until its send_at', { send_at: new Date(Date.now() + 3_600_000).toISOString() }],
  ])(
    'stores quotes, backslashes, braces, commas and "NULL" as rendered (%s), no own text where it is the job\'s',
    async (_, when) => {
      const values = ['say "hi"', 'back\\slash \\"', '{a,b}', 'NULL', '', '中文', '{{v}}'];
      const res = await sendBulk(t, user.apiToken, {
        ...when,
        content: '{{v}}',
        recipients: values.map((v, i) => ({ phone: `+8529300000${i}`, vars: { v } })),
      });
      // '' renders an empty text, which cannot be sent: that row alone is refused.
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([
        expect.objectContaining({ field: 'recipients[4]', value: '+85293000004' }),
      ]);
      const sent = values.filter((v) => v !== '');
      const ok = await sendBulk(t, user.apiToken, {
        ...when,
        content: '{{v}}',
        recipients: sent.map((v, i) => ({ phone: `+8529300001${i}`, vars: { v } })),
      }).expect(202);
      const rows = await t.db.dataSource.query(
        `SELECT phone, content, segments FROM recipients WHERE message_id = $1 ORDER BY ordinal`,
        [ok.body.data.id],
      );
      // The last row renders the job's own content: stored without a text of its own.
      expect(rows).toEqual(
        sent.map((v, i) => ({
          phone: `+8529300001${i}`,
          content: v === '{{v}}' ? null : v,
          segments: v === '{{v}}' ? null : 1,
        })),
      );
    },
  );

  it('answers the list-level rules as before: not an array, empty, unknown fields', async () => {
    const details = async (body: object) =>
      (await sendBulk(t, user.apiToken, body).expect(400)).body.error.details;
    expect(await details({ content: 'hi', recipients: 'x' })).toEqual([
      { field: 'recipients', message: 'recipients must contain at least 1 elements' },
      { field: 'recipients', message: 'recipients must be an array' },
    ]);
    expect(await details({ content: 'hi', recipients: [] })).toEqual([
      { field: 'recipients', message: 'recipients must contain at least 1 elements' },
    ]);
    expect(
      await details({ content: 'hi', recipients: [{ phone: '+85291000001' }], extra: 1 }),
    ).toEqual([{ field: 'extra', message: 'property extra should not exist' }]);
  });

  it('checks every row before refusing texts: a later bad number wins over an earlier long text', async () => {
    const res = await sendBulk(t, user.apiToken, {
      content: 'Hi {{a}}',
      recipients: [
        { phone: '+85291000001', vars: { a: '中'.repeat(1000) } },
        { phone: '+8529', vars: { a: 'x' } },
        { phone: '+85291000003' },
      ],
    }).expect(400);
    expect(res.body.error.code).toBe('INVALID_PHONE_FORMAT');
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual([
      'recipients[1].phone',
    ]);
    const missing = await sendBulk(t, user.apiToken, {
      content: 'Hi {{a}}',
      recipients: [
        { phone: '+85291000001', vars: { a: '中'.repeat(1000) } },
        { phone: '+85291000002' },
      ],
    }).expect(400);
    expect(missing.body.error.code).toBe('MISSING_FIELDS');
    expect(missing.body.error.details[0].field).toBe('recipients[1]');
  });

  it('refuses a bad placeholder in inline content with its position', async () => {
    const res = await sendBulk(t, user.apiToken, {
      content: 'Hi {{a',
      recipients: [{ phone: '+85291000001', vars: { a: 'x' } }],
    }).expect(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(res.body.error.message).toContain('position 3');
  });
});
