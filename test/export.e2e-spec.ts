import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import type { Response } from 'supertest';
import { hkMobiles, sendBulk } from './fixtures/messages.js';
import { adminSession, bearer, createUser, TestUser } from './fixtures/users.js';
import { createTestApp, TestApp } from './support/test-app.js';

const RECIPIENT_HEADER = [
  'id',
  'phone',
  'status',
  'attempts',
  'error_message',
  'sent_at',
  'delivery_status',
  'delivered_at',
];

/**
 * CONTENT.md, export: a job's recipients (owner or admin) and the admin job listing with its
 * filters as CSV downloads, streamed (a few thousand rows arrive in several chunks), quoted
 * by RFC 4180 and guarded against formula injection.
 */
describe('CSV exports (e2e)', () => {
  let t: TestApp;
  let admin: string;
  let owner: TestUser;
  let other: TestUser;
  let bigJob: number;

  /** The body as text, and how many chunks it arrived in. */
  const download = (path: string, token: string) =>
    t
      .http()
      .get(path)
      .set(bearer(token))
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        let chunks = 0;
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          chunks++;
          text += c;
        });
        res.on('end', () => done(null, { text, chunks }));
      });
  const rowsOf = (res: Response) =>
    parse((res.body as { text: string }).text, { bom: true }) as string[][];

  beforeAll(async () => {
    // API only: nothing is sent, recipients stay as submitted.
    t = await createTestApp({ QUEUE_ROLE: 'api' }, 'export');
    admin = await adminSession(t);
    owner = await createUser(t, { username: 'export_owner' });
    other = await createUser(t, { username: 'export_other' });
    const res = await sendBulk(t, owner.apiToken, {
      recipients: hkMobiles(3000),
      content: 'big export',
    }).expect(202);
    bigJob = res.body.data.id;
  });
  afterAll(async () => {
    await t.close();
  });

  it("streams a job's recipients to its owner: headers, every row, several chunks", async () => {
    const res = await download(`/api/sms/${bigJob}/recipients.csv`, owner.apiToken).expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="sms-${bigJob}-recipients.csv"`,
    );
    const rows = rowsOf(res);
    expect(rows[0]).toEqual(RECIPIENT_HEADER);
    expect(rows).toHaveLength(3001);
    expect(rows.slice(1).map((r) => r[1])).toEqual(hkMobiles(3000));
    expect(rows[1].slice(1)).toEqual(['+85290000000', 'pending', '0', '', '', 'unknown', '']);
    expect((res.body as { chunks: number }).chunks).toBeGreaterThan(1);
  });

  it("is 404 for another user's job (in the envelope), and an admin may export any job", async () => {
    const res = await t
      .http()
      .get(`/api/sms/${bigJob}/recipients.csv`)
      .set(bearer(other.apiToken))
      .expect(404);
    expect(res.body).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
    await t.http().get('/api/sms/999999/recipients.csv').set(bearer(owner.apiToken)).expect(404);
    await t.http().get('/api/sms/abc/recipients.csv').set(bearer(owner.apiToken)).expect(400);
    await t.http().get(`/api/sms/${bigJob}/recipients.csv`).expect(401);
    const asAdmin = await download(`/api/sms/${bigJob}/recipients.csv`, admin).expect(200);
    expect(rowsOf(asAdmin)).toHaveLength(3001);
  });

  it("adds a personalised job's rendered text; quotes CSV and guards formulas, not E.164 numbers", async () => {
    await t
      .http()
      .post('/api/admin/suppressions')
      .set(bearer(admin))
      .send({ phone: '+85291000003' })
      .expect(201);
    const res = await sendBulk(t, owner.apiToken, {
      recipients: [
        { phone: '+85291000001', vars: { v: '=HYPERLINK("http://x","y")' } },
        { phone: '+85291000002', vars: { v: 'Chan, "Jr"\nline two' } },
        { phone: '+85291000003', vars: { v: '@SUM(1)' } },
      ],
      content: '{{v}}',
    }).expect(202);
    const csv = await download(`/api/sms/${res.body.data.id}/recipients.csv`, owner.apiToken);
    const text = (csv.body as { text: string }).text;
    expect(text).toContain('"Chan, ""Jr""\nline two"');
    const rows = rowsOf(csv);
    expect(rows[0]).toEqual([...RECIPIENT_HEADER, 'content']);
    expect(rows.slice(1).map((r) => [r[1], r[2], r[8]])).toEqual([
      ['+85291000001', 'pending', '\'=HYPERLINK("http://x","y")'],
      ['+85291000002', 'pending', 'Chan, "Jr"\nline two'],
      ['+85291000003', 'suppressed', "'@SUM(1)"],
    ]);
  });

  it('exports the admin listing with its filters, guarded; users get 403', async () => {
    await sendBulk(t, other.apiToken, {
      recipients: ['+85291000010'],
      content: '-2+3 other user',
    }).expect(202);
    const all = await download('/api/admin/messages.csv', admin).expect(200);
    expect(all.headers['content-disposition']).toBe('attachment; filename="messages.csv"');
    const rows = rowsOf(all);
    const header = rows[0];
    const col = (name: string) => header.indexOf(name);
    expect(header.slice(0, 4)).toEqual(['id', 'user_id', 'owner_username', 'job_status']);
    expect(header).toContain('suppressed_count');
    expect(rows).toHaveLength(4);
    // Newest first.
    const ids = rows.slice(1).map((r) => Number(r[col('id')]));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(rows[1][col('content')]).toBe("'-2+3 other user");
    expect(rows[1][col('owner_username')]).toBe('export_other');

    const mine = rowsOf(
      await download(`/api/admin/messages.csv?user_id=${owner.id}&q=export`, admin).expect(200),
    );
    expect(mine.slice(1).map((r) => r[col('id')])).toEqual([String(bigJob)]);
    expect(mine[1][col('recipient_count')]).toBe('3000');
    const none = rowsOf(
      await download('/api/admin/messages.csv?job_status=completed', admin).expect(200),
    );
    expect(none).toEqual([header]);

    await t.http().get('/api/admin/messages.csv?job_status=nope').set(bearer(admin)).expect(400);
    const forbidden = await t
      .http()
      .get('/api/admin/messages.csv')
      .set(bearer(owner.apiToken))
      .expect(403);
    expect(forbidden.body.error.code).toBe('FORBIDDEN');
  });
});
