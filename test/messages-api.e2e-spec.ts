import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
import { countRows, hkMobiles, markCompleted, sendBulk, sendOne } from './fixtures/messages.js';
import { bearer, createUser, TestUser } from './fixtures/users.js';
import { createTestApp, TestApp } from './support/test-app.js';

const ACCEPTED_ONE_FIELDS = [
  'id',
  'status',
  'job_status',
  'recipient',
  'content',
  'adhoc',
  'priority',
  'send_at',
  'created_at',
  'segments',
  'encoding',
  'valid_until',
  'send_window',
  'next_window_at',
  'queue_position',
  'estimated_start_at',
  'estimated_complete_at',
  'template_id',
  'template_version',
  'personalised',
  'total_segments',
  'suppressed_count',
];
const ACCEPTED_BULK_FIELDS = [
  'id',
  'status',
  'job_status',
  'total',
  'duplicates_removed',
  'content',
  'adhoc',
  'priority',
  'send_at',
  'created_at',
  'segments',
  'encoding',
  'valid_until',
  'send_window',
  'next_window_at',
  'queue_position',
  'estimated_start_at',
  'estimated_complete_at',
  'template_id',
  'template_version',
  'personalised',
  'total_segments',
  'suppressed_count',
];
const SUMMARY_FIELDS = [
  'id',
  'content',
  'status',
  'job_status',
  'created_at',
  'recipient_count',
  'adhoc',
  'priority',
  'send_at',
];
const DETAIL_FIELDS = [
  'id',
  'content',
  'status',
  'job_status',
  'adhoc',
  'priority',
  'send_at',
  'created_at',
  'started_at',
  'sent_at',
  'completed_at',
  'recipient_count',
  'success_count',
  'failed_count',
  'pending_count',
  'cancelled_count',
  'expired_count',
  'suppressed_count',
  'progress_percent',
  'segments',
  'encoding',
  'valid_until',
  'send_window',
  'next_window_at',
  'queue_position',
  'estimated_start_at',
  'estimated_complete_at',
];
const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

const sorted = (keys: string[]) => [...keys].sort();

/** Every API in this file runs without a worker (QUEUE_ROLE=api): jobs stay pending. */
describe('Messages API (e2e)', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    t = await createTestApp({ QUEUE_ROLE: 'api' }, 'messages');
    alice = await createUser(t, { canSendUrgent: true });
    bob = await createUser(t);
  });
  afterAll(() => t?.close());

  const get = (path: string, user: TestUser = alice) =>
    t.http().get(path).set(bearer(user.apiToken));

  describe('POST /api/sms', () => {
    it('answers 202 with exactly the documented fields and stores the number in E.164', async () => {
      const before = Date.now();
      const res = await sendOne(t, alice.apiToken, {
        recipient: '+852 9123-4567',
        content: 'Hello from the e2e test',
        adhoc: true,
      });
      expect(res.status).toBe(202);
      expect(res.body.success).toBe(true);
      const d = res.body.data;
      expect(sorted(Object.keys(d))).toEqual(sorted(ACCEPTED_ONE_FIELDS));
      expect(d).toMatchObject({
        id: expect.any(Number),
        status: 'pending',
        job_status: 'pending',
        recipient: '+85291234567',
        content: 'Hello from the e2e test',
        adhoc: true,
        priority: 'urgent',
        segments: 1,
        encoding: 'gsm7',
        queue_position: expect.any(Number),
      });
      expect(d.created_at).toMatch(ISO_UTC);
      expect(Date.parse(d.created_at)).toBeGreaterThanOrEqual(before - 2000);
      expect(Date.parse(d.created_at)).toBeLessThanOrEqual(Date.now() + 2000);
      expect(d.estimated_complete_at).toMatch(ISO_UTC);

      const rec = await get(`/api/sms/${d.id}/recipients`).expect(200);
      expect(rec.body.data).toMatchObject({ total: 1, pages: 1, current_page: 1 });
      expect(rec.body.data.recipients).toEqual([
        {
          id: expect.any(Number),
          phone: '+85291234567',
          status: 'pending',
          attempts: 0,
          error_message: null,
          sent_at: null,
          delivery_status: 'unknown',
          delivered_at: null,
        },
      ]);
      const detail = await get(`/api/sms/${d.id}`).expect(200);
      expect(detail.body.data).toMatchObject({
        adhoc: true,
        priority: 'urgent',
        recipient_count: 1,
      });
      // Nobody else sees it.
      await get(`/api/sms/${d.id}`, bob).expect(404);
      const bobs = await get('/api/sms', bob).expect(200);
      expect(bobs.body.data).toEqual({ messages: [], total: 0, pages: 0, current_page: 1 });
    });

    it('defaults adhoc to false and keeps an explicit false', async () => {
      const a = await sendOne(t, alice.apiToken, { recipient: '+85291234567', content: 'x' });
      expect(a.status).toBe(202);
      expect(a.body.data.adhoc).toBe(false);
      const b = await sendOne(t, alice.apiToken, {
        recipient: '+85291234567',
        content: 'x',
        adhoc: false,
      });
      expect(b.status).toBe(202);
      expect(b.body.data.adhoc).toBe(false);
      const [row] = await t.db.dataSource.query('SELECT adhoc FROM messages WHERE id = $1', [
        b.body.data.id,
      ]);
      expect(row.adhoc).toBe(false);
    });

    it('requires a bearer token', async () => {
      const res = await t
        .http()
        .post('/api/sms')
        .send({ recipient: '+85291234567', content: 'hi' });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
    });
  });

  describe('POST /api/sms/send-bulk', () => {
    it('removes duplicates after normalisation and keeps the given order', async () => {
      const res = await sendBulk(t, alice.apiToken, {
        recipients: [
          '+852 9123-4567',
          '+85261234567',
          '+85291234567',
          '(+852) 6123 4567',
          '+44 7700 900123',
        ],
        content: 'Office closed on Friday.',
      });
      expect(res.status).toBe(202);
      const d = res.body.data;
      expect(sorted(Object.keys(d))).toEqual(sorted(ACCEPTED_BULK_FIELDS));
      expect(d).toMatchObject({
        status: 'pending',
        job_status: 'pending',
        total: 3,
        duplicates_removed: 2,
        content: 'Office closed on Friday.',
        adhoc: false,
        segments: 1,
        encoding: 'gsm7',
      });
      const rec = await get(`/api/sms/${d.id}/recipients`).expect(200);
      expect(rec.body.data.total).toBe(3);
      expect(rec.body.data.recipients.map((r: { phone: string }) => r.phone)).toEqual([
        '+85291234567',
        '+85261234567',
        '+447700900123',
      ]);
      const detail = await get(`/api/sms/${d.id}`).expect(200);
      expect(detail.body.data).toMatchObject({ recipient_count: 3, pending_count: 3 });
    });

    it('writes a bulk of 2 000 numbers as exactly 2 000 recipients, ordinals 1..2000', async () => {
      const phones = hkMobiles(2000, 100);
      const res = await sendBulk(t, alice.apiToken, { recipients: phones, content: 'Big one' });
      expect(res.status).toBe(202);
      expect(res.body.data).toMatchObject({ total: 2000, duplicates_removed: 0 });
      const id = res.body.data.id;
      const [agg] = await t.db.dataSource.query(
        `SELECT count(*)::int AS n, count(DISTINCT ordinal)::int AS distinct_ordinals,
                min(ordinal)::int AS lo, max(ordinal)::int AS hi,
                bool_and(status = 'pending') AS all_pending
         FROM recipients WHERE message_id = $1`,
        [id],
      );
      expect(agg).toEqual({ n: 2000, distinct_ordinals: 2000, lo: 1, hi: 2000, all_pending: true });
      const [mismatch] = await t.db.dataSource.query(
        `SELECT count(*)::int AS n FROM recipients r
         JOIN unnest($2::text[]) WITH ORDINALITY AS p(phone, ord) ON p.ord = r.ordinal
         WHERE r.message_id = $1 AND r.phone <> p.phone`,
        [id, phones],
      );
      expect(mismatch.n).toBe(0);

      // Recipients: default page size 100, at most 1000, status filter.
      const page1 = await get(`/api/sms/${id}/recipients`).expect(200);
      expect(page1.body.data).toMatchObject({ total: 2000, pages: 20, current_page: 1 });
      expect(page1.body.data.recipients).toHaveLength(100);
      expect(page1.body.data.recipients[0].phone).toBe(phones[0]);
      const page3 = await get(`/api/sms/${id}/recipients?page=3&per_page=1000`).expect(200);
      expect(page3.body.data).toMatchObject({ total: 2000, pages: 2, current_page: 3 });
      expect(page3.body.data.recipients).toEqual([]);
      const big = await get(`/api/sms/${id}/recipients?page=2&per_page=1000`).expect(200);
      expect(big.body.data.recipients).toHaveLength(1000);
      expect(big.body.data.recipients[0].phone).toBe(phones[1000]);
      expect(big.body.data.recipients[999].phone).toBe(phones[1999]);
      const tooBig = await get(`/api/sms/${id}/recipients?per_page=1001`);
      expect(tooBig.status).toBe(400);
      expect(tooBig.body.error.code).toBe('VALIDATION_ERROR');
      await get(`/api/sms/${id}/recipients?per_page=0`).expect(400);
      await get(`/api/sms/${id}/recipients?page=0`).expect(400);

      await t.db.dataSource.query(
        `UPDATE recipients SET status = 'sent', attempts = 1, sent_at = now()
         WHERE message_id = $1 AND ordinal <= 3`,
        [id],
      );
      const sent = await get(`/api/sms/${id}/recipients?status=sent`).expect(200);
      expect(sent.body.data.total).toBe(3);
      expect(sent.body.data.recipients.map((r: { phone: string }) => r.phone)).toEqual(
        phones.slice(0, 3),
      );
      for (const r of sent.body.data.recipients) {
        expect(r).toMatchObject({ status: 'sent', attempts: 1, sent_at: expect.any(String) });
      }
      const pending = await get(`/api/sms/${id}/recipients?status=pending&per_page=1`).expect(200);
      expect(pending.body.data).toMatchObject({ total: 1997, pages: 1997 });
      expect(pending.body.data.recipients[0].phone).toBe(phones[3]);
      await get(`/api/sms/${id}/recipients?status=bogus`).expect(400);
    });
  });

  describe('validation', () => {
    async function expectNothingWritten(
      send: () => Promise<Response>,
      status: number,
      code: string,
    ) {
      const before = await countRows(t);
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.body.success).toBe(false);
      expect(res.body.error.code).toBe(code);
      expect(await countRows(t)).toEqual(before);
      return res;
    }

    it('lists every invalid number of a bulk in error.details and queues nothing', async () => {
      const res = await expectNothingWritten(
        () =>
          sendBulk(t, alice.apiToken, {
            recipients: [
              '+85291234567',
              'abc',
              '+85212',
              '91234567',
              '+85261234567',
              12345,
              '+999123456789',
            ],
            content: 'hello',
          }),
        400,
        'INVALID_PHONE_FORMAT',
      );
      const details: { field: string; value: unknown }[] = res.body.error.details;
      expect(details.map((d) => d.field)).toEqual([
        'recipients[1]',
        'recipients[2]',
        'recipients[3]',
        'recipients[5]',
        'recipients[6]',
      ]);
      expect(details.map((d) => d.value)).toEqual([
        'abc',
        '+85212',
        '91234567',
        12345,
        '+999123456789',
      ]);
      for (const d of details) expect(d).toMatchObject({ message: expect.any(String) });
    });

    it('rejects an invalid single recipient with INVALID_PHONE_FORMAT', async () => {
      const res = await expectNothingWritten(
        () => sendOne(t, alice.apiToken, { recipient: '12345', content: 'hello' }),
        400,
        'INVALID_PHONE_FORMAT',
      );
      expect(res.body.error.details).toEqual([
        expect.objectContaining({ field: 'recipient', value: '12345' }),
      ]);
    });

    it('rejects empty and whitespace-only content', async () => {
      for (const content of ['', '   ', '\n\t ']) {
        await expectNothingWritten(
          () => sendOne(t, alice.apiToken, { recipient: '+85291234567', content }),
          400,
          'VALIDATION_ERROR',
        );
        await expectNothingWritten(
          () => sendBulk(t, alice.apiToken, { recipients: ['+85291234567'], content }),
          400,
          'VALIDATION_ERROR',
        );
      }
    });

    it('accepts 10 GSM-7 segments (1530 chars) and rejects 1531 with CONTENT_TOO_LONG', async () => {
      const ok = await sendOne(t, alice.apiToken, {
        recipient: '+85291234567',
        content: 'a'.repeat(1530),
      });
      expect(ok.status).toBe(202);
      expect(ok.body.data).toMatchObject({ segments: 10, encoding: 'gsm7' });
      const res = await expectNothingWritten(
        () => sendOne(t, alice.apiToken, { recipient: '+85291234567', content: 'a'.repeat(1531) }),
        400,
        'CONTENT_TOO_LONG',
      );
      expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'content' })]);
      await expectNothingWritten(
        () =>
          sendBulk(t, alice.apiToken, {
            recipients: ['+85291234567'],
            content: '€'.repeat(766), // 1532 septets: 11 parts
          }),
        400,
        'CONTENT_TOO_LONG',
      );
      // UCS-2: 10 × 67 units pass, one more does not.
      const ucsOk = await sendOne(t, alice.apiToken, {
        recipient: '+85291234567',
        content: '中'.repeat(670),
      });
      expect(ucsOk.status).toBe(202);
      expect(ucsOk.body.data).toMatchObject({ segments: 10, encoding: 'ucs2' });
      await expectNothingWritten(
        () => sendOne(t, alice.apiToken, { recipient: '+85291234567', content: '中'.repeat(671) }),
        400,
        'CONTENT_TOO_LONG',
      );
    });

    it('works out encoding and segments', async () => {
      const cases: [string, string, number][] = [
        ['Plain GSM text @ £5', 'gsm7', 1],
        ['a'.repeat(160), 'gsm7', 1],
        ['a'.repeat(161), 'gsm7', 2],
        ['€'.repeat(80), 'gsm7', 1], // extension characters count double: 160 septets
        ['€'.repeat(81), 'gsm7', 2],
        ['Party tonight 🎉', 'ucs2', 1],
        ['é'.repeat(70) + '中', 'ucs2', 2],
        ['中'.repeat(70), 'ucs2', 1],
      ];
      for (const [content, encoding, segments] of cases) {
        const res = await sendOne(t, alice.apiToken, { recipient: '+85291234567', content });
        expect(res.status).toBe(202);
        expect({
          content,
          encoding: res.body.data.encoding,
          segments: res.body.data.segments,
        }).toEqual({ content, encoding, segments });
        const detail = await get(`/api/sms/${res.body.data.id}`).expect(200);
        expect(detail.body.data).toMatchObject({ encoding, segments, content });
      }
    });

    it('rejects unknown fields with VALIDATION_ERROR', async () => {
      const res = await expectNothingWritten(
        () =>
          sendOne(t, alice.apiToken, {
            recipient: '+85291234567',
            content: 'hi',
            priority: 'high',
          }),
        400,
        'VALIDATION_ERROR',
      );
      expect(res.body.error.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: 'priority' })]),
      );
      await expectNothingWritten(
        () =>
          sendBulk(t, alice.apiToken, {
            recipients: ['+85291234567'],
            content: 'hi',
            sender: 'ME',
          }),
        400,
        'VALIDATION_ERROR',
      );
    });

    it('rejects wrong types and missing fields with 400, never a 500', async () => {
      const bodies: [(b: unknown) => ReturnType<typeof sendOne>, unknown][] = [
        [(b) => sendOne(t, alice.apiToken, b), { recipient: 85291234567, content: 'hi' }],
        [(b) => sendOne(t, alice.apiToken, b), { recipient: '+85291234567', content: 42 }],
        [
          (b) => sendOne(t, alice.apiToken, b),
          { recipient: '+85291234567', content: 'hi', adhoc: 'yes' },
        ],
        [
          (b) => sendOne(t, alice.apiToken, b),
          { recipient: '+85291234567', content: 'hi', adhoc: 1 },
        ],
        [(b) => sendOne(t, alice.apiToken, b), { recipient: null, content: 'hi' }],
        [
          (b) => sendOne(t, alice.apiToken, b),
          { recipient: '+85291234567', content: 'hi', adhoc: null },
        ],
        [(b) => sendOne(t, alice.apiToken, b), { recipient: ['+85291234567'], content: 'hi' }],
        [(b) => sendOne(t, alice.apiToken, b), { content: 'hi' }],
        [(b) => sendOne(t, alice.apiToken, b), { recipient: '+85291234567' }],
        [(b) => sendOne(t, alice.apiToken, b), {}],
        [(b) => sendOne(t, alice.apiToken, b), [{ recipient: '+85291234567', content: 'hi' }]],
        [(b) => sendBulk(t, alice.apiToken, b), { recipients: '+85291234567', content: 'hi' }],
        [(b) => sendBulk(t, alice.apiToken, b), { recipients: [], content: 'hi' }],
        [
          (b) => sendBulk(t, alice.apiToken, b),
          { recipients: { 0: '+85291234567' }, content: 'hi' },
        ],
        [(b) => sendBulk(t, alice.apiToken, b), { recipients: ['+85291234567'] }],
        [
          (b) => sendBulk(t, alice.apiToken, b),
          { recipients: ['+85291234567'], content: 'hi', adhoc: 'yes' },
        ],
        [(b) => sendBulk(t, alice.apiToken, b), { content: 'hi' }],
      ];
      const before = await countRows(t);
      for (const [send, body] of bodies) {
        const res = await send(body);
        expect({ body, status: res.status }).toEqual({ body, status: 400 });
        expect(res.body.success).toBe(false);
        expect(['VALIDATION_ERROR', 'MISSING_FIELDS', 'INVALID_PHONE_FORMAT']).toContain(
          res.body.error.code,
        );
      }
      expect(await countRows(t)).toEqual(before);
    });

    it('reports non-string bulk entries per index', async () => {
      const res = await expectNothingWritten(
        () =>
          sendBulk(t, alice.apiToken, {
            recipients: ['+85291234567', null, { n: 1 }, ['+85261234567'], true],
            content: 'hi',
          }),
        400,
        'INVALID_PHONE_FORMAT',
      );
      const details: { field: string; value: unknown }[] = res.body.error.details;
      expect(details.map((d) => d.field)).toEqual([
        'recipients[1]',
        'recipients[2]',
        'recipients[3]',
        'recipients[4]',
      ]);
    });

    it('rejects content PostgreSQL cannot store (NUL, lone surrogates) with 400, not 500', async () => {
      for (const content of ['a\u0000b', 'a\uD800', '\uDC00z']) {
        await expectNothingWritten(
          () => sendOne(t, alice.apiToken, { recipient: '+85291234567', content }),
          400,
          'VALIDATION_ERROR',
        );
      }
    });

    it('rejects a body that is not valid UTF-8 with 400, instead of queuing mangled text', async () => {
      const raw = (bytes: number[]) =>
        Buffer.concat([
          Buffer.from('{"recipient":"+85291234567","content":"caf'),
          Buffer.from(bytes),
          Buffer.from('"}'),
        ]);
      // Latin-1 é, a truncated sequence, an encoded surrogate, an overlong slash.
      for (const bytes of [[0xe9], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]) {
        const res = await expectNothingWritten(
          () =>
            t
              .http()
              .post('/api/sms')
              .set(bearer(alice.apiToken))
              .set('Content-Type', 'application/json')
              // As the bytes are: superagent would otherwise write a Buffer out as JSON.
              .serialize((b: Buffer) => b as unknown as string)
              .send(raw(bytes)),
          400,
          'VALIDATION_ERROR',
        );
        expect(res.body.error.message).toMatch(/UTF-8/);
      }
    });

    it('rejects C0 control characters but line feed, carriage return and tab', async () => {
      for (const c of ['\u0001', '\u0007', '\u0008', '\u000b', '\u000c', '\u001b', '\u001f']) {
        for (const send of [
          () => sendOne(t, alice.apiToken, { recipient: '+85291234567', content: `a${c}b` }),
          () => sendBulk(t, alice.apiToken, { recipients: ['+85291234567'], content: `a${c}b` }),
        ]) {
          const res = await expectNothingWritten(send, 400, 'VALIDATION_ERROR');
          expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'content' })]);
        }
      }
      const ok = await sendOne(t, alice.apiToken, {
        recipient: '+85291234567',
        content: 'line one\r\nline two\tand a tab',
      });
      expect(ok.status).toBe(202);
    });

    it('answers CONTENT_TOO_LONG to content over the segment limit, however long', async () => {
      const recipient = '+85291234567';
      // 60 000 characters fit the single route's 64 KB; only bulk takes a body of 1 000 000.
      for (const send of [
        () => sendOne(t, alice.apiToken, { recipient, content: 'a'.repeat(60_000) }),
        () => sendBulk(t, alice.apiToken, { recipients: [recipient], content: 'a'.repeat(1e6) }),
      ]) {
        const res = await expectNothingWritten(send, 400, 'CONTENT_TOO_LONG');
        expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'content' })]);
      }
    });

    it('rejects a malformed JSON body with 400', async () => {
      const res = await t
        .http()
        .post('/api/sms')
        .set(bearer(alice.apiToken))
        .set('Content-Type', 'application/json')
        .send('{"recipient": "+85291234567", "content": ');
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
    });
  });

  describe('reading', () => {
    let carol: TestUser;
    let dave: TestUser;
    const ids: number[] = [];
    let startedAt: number;

    beforeAll(async () => {
      carol = await createUser(t, { canSendUrgent: true });
      dave = await createUser(t);
      startedAt = Date.now();
      for (const [i, body] of [
        { recipient: '+85291234567', content: 'first' },
        { recipient: '+85291234568', content: 'second', adhoc: true },
      ].entries()) {
        const res = await sendOne(t, carol.apiToken, body);
        expect(res.status).toBe(202);
        ids[i] = res.body.data.id;
      }
      const bulk = await sendBulk(t, carol.apiToken, {
        recipients: ['+85291234567', '+85261234567'],
        content: 'third',
      });
      expect(bulk.status).toBe(202);
      ids.push(bulk.body.data.id);
      await sendOne(t, dave.apiToken, { recipient: '+85291234567', content: "dave's" }).then((r) =>
        expect(r.status).toBe(202),
      );
    });

    it("lists only the caller's jobs, newest first, with the documented fields", async () => {
      const res = await get('/api/sms', carol).expect(200);
      expect(res.body.success).toBe(true);
      const d = res.body.data;
      expect(d).toMatchObject({ total: 3, pages: 1, current_page: 1 });
      expect(d.messages.map((m: { id: number }) => m.id)).toEqual([...ids].reverse());
      expect(d.messages.map((m: { content: string }) => m.content)).toEqual([
        'third',
        'second',
        'first',
      ]);
      for (const m of d.messages) {
        for (const f of SUMMARY_FIELDS) expect(m).toHaveProperty(f);
        expect(m).toMatchObject({ status: 'pending', job_status: 'pending' });
        expect(m.created_at).toMatch(ISO_UTC);
      }
      expect(d.messages[0]).toMatchObject({ recipient_count: 2, adhoc: false, priority: 'normal' });
      expect(d.messages[1]).toMatchObject({ recipient_count: 1, adhoc: true, priority: 'urgent' });
      const daves = await get('/api/sms', dave).expect(200);
      expect(daves.body.data.total).toBe(1);
      expect(daves.body.data.messages[0].content).toBe("dave's");
    });

    it('paginates with page and per_page and validates them', async () => {
      const res = await get('/api/sms?per_page=1&page=2', carol).expect(200);
      expect(res.body.data).toMatchObject({ total: 3, pages: 3, current_page: 2 });
      expect(res.body.data.messages.map((m: { id: number }) => m.id)).toEqual([ids[1]]);
      const past = await get('/api/sms?per_page=2&page=5', carol).expect(200);
      expect(past.body.data).toMatchObject({ messages: [], total: 3, pages: 2, current_page: 5 });
      await get('/api/sms?per_page=100', carol).expect(200);
      for (const q of ['per_page=101', 'page=0', 'per_page=0', 'page=-1', 'page=abc', 'page=1.5']) {
        const bad = await get(`/api/sms?${q}`, carol);
        expect({ q, status: bad.status }).toEqual({ q, status: 400 });
        expect(bad.body.error.code).toBe('VALIDATION_ERROR');
      }
      await get('/api/sms?sort=asc', carol).expect(400);
      // Pages so large that OFFSET would overflow are a 400, not a database error.
      for (const q of ['page=1e20', 'page=99999999999999999999', 'page=2147483648']) {
        const bad = await get(`/api/sms?${q}`, carol);
        expect({ q, status: bad.status }).toEqual({ q, status: 400 });
        const rec = await get(`/api/sms/${ids[0]}/recipients?${q}`, carol);
        expect({ q, status: rec.status }).toEqual({ q, status: 400 });
      }
      const last = await get('/api/sms?page=2147483647&per_page=100', carol).expect(200);
      expect(last.body.data).toMatchObject({ messages: [], total: 3 });
    });

    it('filters by job_status', async () => {
      const fresh = await createUser(t);
      const a = await sendOne(t, fresh.apiToken, { recipient: '+85291234567', content: 'a' });
      const b = await sendOne(t, fresh.apiToken, { recipient: '+85291234567', content: 'b' });
      await markCompleted(t, a.body.data.id);
      const pending = await get('/api/sms?job_status=pending', fresh).expect(200);
      expect(pending.body.data.total).toBe(1);
      expect(pending.body.data.messages[0].id).toBe(b.body.data.id);
      const done = await get('/api/sms?job_status=completed', fresh).expect(200);
      expect(done.body.data.total).toBe(1);
      expect(done.body.data.messages[0]).toMatchObject({
        id: a.body.data.id,
        job_status: 'completed',
        status: 'sent',
      });
      const none = await get('/api/sms?job_status=failed', fresh).expect(200);
      expect(none.body.data).toMatchObject({ messages: [], total: 0 });
      await get('/api/sms?job_status=sent', fresh).expect(400);
    });

    it('filters by from/to (ISO-8601) and rejects an invalid date', async () => {
      const iso = (ms: number) => new Date(ms).toISOString();
      const hour = 3600 * 1000;
      const all = await get(
        `/api/sms?from=${iso(startedAt - hour)}&to=${iso(Date.now() + hour)}`,
        carol,
      ).expect(200);
      expect(all.body.data.total).toBe(3);
      const future = await get(`/api/sms?from=${iso(Date.now() + hour)}`, carol).expect(200);
      expect(future.body.data).toMatchObject({ total: 0, messages: [] });
      const past = await get(`/api/sms?to=${iso(startedAt - hour)}`, carol).expect(200);
      expect(past.body.data.total).toBe(0);

      // Move the first job back a day: the filters see it on its own.
      await t.db.dataSource.query(
        `UPDATE messages SET created_at = now() - interval '1 day' WHERE id = $1`,
        [ids[0]],
      );
      const old = await get(`/api/sms?to=${iso(startedAt - hour)}`, carol).expect(200);
      expect(old.body.data.messages.map((m: { id: number }) => m.id)).toEqual([ids[0]]);
      const recent = await get(`/api/sms?from=${iso(startedAt - hour)}`, carol).expect(200);
      expect(recent.body.data.messages.map((m: { id: number }) => m.id)).toEqual([ids[2], ids[1]]);
      const day = new Date(Date.now() - 24 * hour).toISOString().slice(0, 10);
      const byDate = await get(`/api/sms?from=${day}`, carol).expect(200);
      expect(byDate.body.data.total).toBe(3);

      for (const q of [
        'from=yesterday',
        'to=not-a-date',
        'from=2026-13-45T00:00:00Z',
        'from=-271821-04-20T00:00:00Z', // valid in JavaScript, out of range for PostgreSQL
        'to=-010000-01-01T00:00:00Z',
      ]) {
        const bad = await get(`/api/sms?${q}`, carol);
        expect({ q, status: bad.status }).toEqual({ q, status: 400 });
        expect(bad.body.error.code).toBe('VALIDATION_ERROR');
      }
    });

    it('GET /api/sms/:id has every documented field', async () => {
      const res = await get(`/api/sms/${ids[2]}`, carol).expect(200);
      const d = res.body.data;
      for (const f of DETAIL_FIELDS) expect(d).toHaveProperty(f);
      expect(d).toMatchObject({
        id: ids[2],
        content: 'third',
        status: 'pending',
        job_status: 'pending',
        adhoc: false,
        started_at: null,
        sent_at: null,
        completed_at: null,
        recipient_count: 2,
        success_count: 0,
        failed_count: 0,
        pending_count: 2,
        cancelled_count: 0,
        progress_percent: 0,
        segments: 1,
        encoding: 'gsm7',
        queue_position: expect.any(Number),
      });
      expect(d.created_at).toMatch(ISO_UTC);
      expect(d.estimated_complete_at).toMatch(ISO_UTC);
    });

    it("answers 404 for another user's job and a missing one, 400 for a bad id", async () => {
      for (const path of [`/api/sms/${ids[0]}`, `/api/sms/${ids[0]}/recipients`]) {
        const res = await get(path, dave);
        expect(res.status).toBe(404);
        expect(res.body).toEqual({
          success: false,
          error: { code: 'NOT_FOUND', message: expect.any(String) },
        });
      }
      for (const path of ['/api/sms/999999', '/api/sms/999999/recipients']) {
        const res = await get(path, carol);
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('NOT_FOUND');
      }
      for (const id of ['abc', '0', '-1', '1.5', '99999999999']) {
        for (const path of [`/api/sms/${id}`, `/api/sms/${id}/recipients`]) {
          const res = await get(path, carol);
          expect({ path, status: res.status }).toEqual({ path, status: 400 });
          expect(res.body.error.code).toBe('VALIDATION_ERROR');
        }
      }
    });

    it('shows nulls and 100 % for a finished job', async () => {
      const res = await sendBulk(t, carol.apiToken, {
        recipients: ['+85291234567', '+85261234567', '+85291234569'],
        content: 'to be finished',
      });
      const id = res.body.data.id;
      await markCompleted(t, id);
      const d = (await get(`/api/sms/${id}`, carol).expect(200)).body.data;
      expect(d).toMatchObject({
        status: 'sent',
        job_status: 'completed',
        success_count: 3,
        pending_count: 0,
        progress_percent: 100,
        queue_position: null,
        estimated_complete_at: null,
      });
      expect(d.completed_at).toMatch(ISO_UTC);
      const list = await get('/api/sms?job_status=completed', carol).expect(200);
      expect(list.body.data.messages[0]).toMatchObject({ id, job_status: 'completed' });
    });
  });
});

describe('Messages API limits and phone policy (e2e)', () => {
  let t: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    t = await createTestApp(
      {
        QUEUE_ROLE: 'api',
        SMS_MAX_SEGMENTS: '2',
        SMS_MAX_BULK_RECIPIENTS: '10',
        SMS_ALLOWED_COUNTRIES: 'HK',
        SMS_DEFAULT_COUNTRY: 'HK',
      },
      'msglimits',
    );
    user = await createUser(t);
  });
  afterAll(() => t?.close());

  it('accepts SMS_MAX_BULK_RECIPIENTS numbers and answers 413 above, writing nothing', async () => {
    const ok = await sendBulk(t, user.apiToken, { recipients: hkMobiles(10), content: 'ten' });
    expect(ok.status).toBe(202);
    expect(ok.body.data.total).toBe(10);
    const before = await countRows(t);
    const res = await sendBulk(t, user.apiToken, { recipients: hkMobiles(11), content: 'eleven' });
    expect(res.status).toBe(413);
    expect(res.body.success).toBe(false);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await countRows(t)).toEqual(before);
  });

  it('applies SMS_MAX_SEGMENTS', async () => {
    const ok = await sendOne(t, user.apiToken, {
      recipient: '+85291234567',
      content: 'a'.repeat(306),
    });
    expect(ok.status).toBe(202);
    expect(ok.body.data.segments).toBe(2);
    const before = await countRows(t);
    const res = await sendOne(t, user.apiToken, {
      recipient: '+85291234567',
      content: 'a'.repeat(307),
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('CONTENT_TOO_LONG');
    expect(await countRows(t)).toEqual(before);
  });

  it('SMS_ALLOWED_COUNTRIES=HK rejects a GB number', async () => {
    const before = await countRows(t);
    const one = await sendOne(t, user.apiToken, { recipient: '+447700900123', content: 'hi' });
    expect(one.status).toBe(400);
    expect(one.body.error.code).toBe('INVALID_PHONE_FORMAT');
    expect(one.body.error.details).toEqual([
      expect.objectContaining({ field: 'recipient', value: '+447700900123' }),
    ]);
    const bulk = await sendBulk(t, user.apiToken, {
      recipients: ['+85291234567', '+447700900123'],
      content: 'hi',
    });
    expect(bulk.status).toBe(400);
    expect(bulk.body.error.code).toBe('INVALID_PHONE_FORMAT');
    expect(bulk.body.error.details).toEqual([
      expect.objectContaining({ field: 'recipients[1]', value: '+447700900123' }),
    ]);
    expect(await countRows(t)).toEqual(before);
  });

  it('SMS_DEFAULT_COUNTRY=HK accepts a local number and stores it in E.164', async () => {
    const res = await sendOne(t, user.apiToken, { recipient: '9123 4567', content: 'local' });
    expect(res.status).toBe(202);
    expect(res.body.data.recipient).toBe('+85291234567');
    const bulk = await sendBulk(t, user.apiToken, {
      recipients: ['91234567', '+85291234567', '6123-4567'],
      content: 'local bulk',
    });
    expect(bulk.status).toBe(202);
    expect(bulk.body.data).toMatchObject({ total: 2, duplicates_removed: 1 });
    const rec = await t
      .http()
      .get(`/api/sms/${bulk.body.data.id}/recipients`)
      .set(bearer(user.apiToken))
      .expect(200);
    expect(rec.body.data.recipients.map((r: { phone: string }) => r.phone)).toEqual([
      '+85291234567',
      '+85261234567',
    ]);
  });
});

describe('Queue position and ETA without a worker (e2e)', () => {
  let t: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    t = await createTestApp({ QUEUE_ROLE: 'api' }, 'msgqueue');
    user = await createUser(t, { canSendUrgent: true });
  });
  afterAll(() => t?.close());

  const detail = async (id: number) => {
    const before = Date.now();
    const res = await t.http().get(`/api/sms/${id}`).set(bearer(user.apiToken)).expect(200);
    return { d: res.body.data, before, after: Date.now() };
  };

  /** ETA within ±1.5 s of `seconds` from the request. */
  const expectEta = (
    r: { d: { estimated_complete_at: string }; before: number; after: number },
    seconds: number,
  ) => {
    const eta = Date.parse(r.d.estimated_complete_at);
    expect(eta).toBeGreaterThanOrEqual(r.before + seconds * 1000 - 1500);
    expect(eta).toBeLessThanOrEqual(r.after + seconds * 1000 + 1500);
  };

  it('serves adhoc jobs first, then oldest, and estimates from the rate and the tokens', async () => {
    // Nothing has been sent: the shared bucket is full (rate 2/s, burst 4).
    const buckets = await t.db.dataSource.query(
      'SELECT msgs_per_sec, burst_capacity, tokens FROM rate_limit_buckets',
    );
    expect(buckets).toEqual([{ msgs_per_sec: 2, burst_capacity: 4, tokens: 4 }]);

    const a = await sendBulk(t, user.apiToken, { recipients: hkMobiles(10), content: 'A' });
    expect(a.status).toBe(202);
    expect(a.body.data.queue_position).toBe(1);
    const b = await sendBulk(t, user.apiToken, { recipients: hkMobiles(10, 10), content: 'B' });
    expect(b.status).toBe(202);
    expect(b.body.data.queue_position).toBe(2);
    const c = await sendOne(t, user.apiToken, {
      recipient: '+85261234567',
      content: 'C',
      adhoc: true,
    });
    expect(c.status).toBe(202);
    expect(c.body.data.queue_position).toBe(1);

    const [ra, rb, rc] = [
      await detail(a.body.data.id),
      await detail(b.body.data.id),
      await detail(c.body.data.id),
    ];
    expect(rc.d.queue_position).toBe(1);
    expect(ra.d.queue_position).toBe(2);
    expect(rb.d.queue_position).toBe(3);
    // Rate 2/s with 4 tokens in hand: the n-th SMS goes out at (n - 4) / 2 s (never before now).
    expectEta(rc, 0);
    expectEta(ra, (1 + 10 - 4) / 2);
    expectEta(rb, (1 + 10 + 10 - 4) / 2);

    const list = await t.http().get('/api/sms').set(bearer(user.apiToken)).expect(200);
    const byId = new Map(
      list.body.data.messages.map((m: { id: number; queue_position: number }) => [
        m.id,
        m.queue_position,
      ]),
    );
    expect(byId.get(c.body.data.id)).toBe(1);
    expect(byId.get(a.body.data.id)).toBe(2);
    expect(byId.get(b.body.data.id)).toBe(3);

    // Once C is finished it drops out: nulls for it, everyone behind moves up.
    await t.db.dataSource.query(
      `UPDATE messages SET job_status = 'completed', sent_count = recipient_count WHERE id = $1`,
      [c.body.data.id],
    );
    const done = await detail(c.body.data.id);
    expect(done.d).toMatchObject({
      job_status: 'completed',
      status: 'sent',
      queue_position: null,
      estimated_complete_at: null,
      progress_percent: 100,
      pending_count: 0,
      success_count: 1,
    });
    const [ra2, rb2] = [await detail(a.body.data.id), await detail(b.body.data.id)];
    expect(ra2.d.queue_position).toBe(1);
    expect(rb2.d.queue_position).toBe(2);
    expectEta(ra2, (10 - 4) / 2);
    expectEta(rb2, (20 - 4) / 2);

    // A job in progress has no queue position but still an estimate.
    await t.db.dataSource.query(
      `UPDATE messages SET job_status = 'sending', started_at = now(), sent_count = 4 WHERE id = $1`,
      [a.body.data.id],
    );
    const [ra3, rb3] = [await detail(a.body.data.id), await detail(b.body.data.id)];
    expect(ra3.d).toMatchObject({
      status: 'pending',
      job_status: 'sending',
      queue_position: null,
      pending_count: 6,
      progress_percent: 40,
    });
    expectEta(ra3, (6 - 4) / 2);
    // FAIRNESS.md: the position counts the jobs the fair order will start before this one;
    // A has started, so B is next.
    expect(rb3.d.queue_position).toBe(1);
    expectEta(rb3, (16 - 4) / 2);
  });
});
