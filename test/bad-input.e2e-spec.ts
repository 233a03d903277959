import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import {
  BAD_CONTENT_TYPES,
  BAD_IDS,
  enc,
  exampleBody,
  fillPath,
  invalidContent,
  invalidPhone,
  JSONISH_CONTENT_TYPES,
  junkString,
  LENIENTLY_PARSED,
  MALFORMED_JSON,
  MB,
  NASTY_STRINGS,
  notAString,
  problemWith,
  RawClient,
  REFUSED_JSON,
  RawRequest,
  Route,
  RouteParam,
  routesOf,
  snapshot,
  Snapshot,
  unknownKey,
  unknownQueryKey,
  wrongValues,
  type Expectation,
} from './fixtures/bad-input.js';
import { hkMobile, hkMobiles, sendOne } from './fixtures/messages.js';
import { adminSession, createUser, TestUser } from './fixtures/users.js';
import { createTestApp, TestApp } from './support/test-app.js';
import { largeBodyLimit } from '../src/common/body-limits.js';

/**
 * The bad-input sweep: every route of the live OpenAPI document gets at least 100 malformed
 * requests (as an admin, so auth never hides validation). Each answer must be a documented
 * 4xx envelope, or, where junk is legitimately ignored (a GET without query DTO), anything
 * but a 5xx; and at the end no table may have changed.
 */

interface Case {
  route: Route;
  req: RawRequest;
  expect: Expectation;
  /** The one status a rejection must have. */
  status?: number;
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const NO_SUCH_ID = '2147483647';
const VALID_SMS = { recipient: hkMobile(1), content: 'valid text' };
/** Nasty strings that keep a URL well under Node's 16 KB header limit (else a bare 431). */
const SHORT_NASTY = NASTY_STRINGS.filter((v) => enc(v).length < 3000);
/** A few of them for each documented query parameter. */
const NASTY_SAMPLE = [
  "' OR 1=1 --",
  '%',
  'a\u0000b',
  '\ud800',
  '\u202eevil\u202c',
  '../../etc/passwd',
  '${jndi:ldap://127.0.0.1/a}',
  '<script>alert(1)</script>',
];

// Each sweep makes hundreds of requests (and the 413 checks send bodies over the 10 MB bulk
// limit): 10-16 s apiece on an idle machine, close to four times that on CI's loaded one.
jest.setTimeout(240_000);

describe('Bad input sweep (e2e)', () => {
  let t: TestApp;
  let client: RawClient;
  let routes: Route[];
  let before: Snapshot;
  let victim: TestUser;
  let messageId: number;
  let adminId: number;
  const sentTo = new Map<string, number>();
  /** Status of a clean request per route without path id, e.g. GET /api/health. */
  const baseline = new Map<string, number>();

  beforeAll(async () => {
    t = await createTestApp(
      {
        QUEUE_ROLE: 'api',
        LOGIN_THROTTLE_LIMIT: '100000',
        LOGIN_THROTTLE_IP_LIMIT: '100000',
        // The over-limit checks send a body past the bulk limit on every route: the smallest
        // limit (1 MB) keeps that cheap; the rule is the same at any size.
        SMS_MAX_BULK_RECIPIENTS: '1000',
      },
      'badinput',
    );
    const admin = await adminSession(t);
    victim = await createUser(t);
    messageId = (await sendOne(t, admin, { ...VALID_SMS, content: 'seed' }).expect(202)).body.data
      .id;
    [{ id: adminId }] = await t.db.dataSource.query(
      `SELECT id FROM users WHERE username = 'SMSadmin'`,
    );
    routes = routesOf((await t.http().get('/docs-json').expect(200)).body);
    client = await RawClient.listen(t, admin);
    for (const r of routes.filter((x) => x.method === 'GET' && !x.pathParams.length)) {
      baseline.set(r.key, (await client.send({ method: 'GET', path: r.template })).status);
    }
    before = await snapshot(t.db.dataSource);
  });
  afterAll(async () => {
    client?.close();
    await t?.close();
  });

  const route = (key: string) => {
    const r = routes.find((x) => x.key === key);
    if (!r) throw new Error(`route ${key} is not in /docs-json`);
    return r;
  };
  const isApi = (r: Route) => r.template.startsWith('/api/');
  /** POST/DELETE without body or path id (pause, resume, own token): junk may not reach them. */
  const handlerOffLimits = (r: Route) => r.method !== 'GET' && !r.body && !r.pathParams.length;
  /** Routes with a pagination DTO reject what they do not know. */
  const strictQuery = (r: Route) => r.query.some((p) => p.name === 'page');

  /**
   * The path used when the junk is elsewhere: an existing row for reads and for body routes
   * (whose bodies are always invalid), a missing one for actions, so nothing can happen.
   */
  const reachablePath = (r: Route) => {
    if (!r.pathParams.length) return r.template;
    const reads = r.method === 'GET' || !!r.body;
    let id = NO_SUCH_ID;
    if (reads && r.template.startsWith('/api/admin/users')) id = String(victim.id);
    else if (reads && r.template.startsWith('/api/sms')) id = String(messageId);
    return fillPath(r.template, id);
  };

  /** An object body that always fails validation (no DTO declares the key). */
  const invalidBodyFor = (r: Route) =>
    r.body ? { headers: JSON_HEADERS, body: JSON.stringify({ x_unknown_field: 1 }) } : {};

  async function hit(c: Case): Promise<string | null> {
    sentTo.set(c.route.key, (sentTo.get(c.route.key) ?? 0) + 1);
    const res = await client.send(c.req);
    return problemWith(c.req, res, c.expect, {
      status: c.status,
      baseline: baseline.get(c.route.key),
    });
  }

  /** Sends every case (a few at a time) and lists every answer that breaks the contract. */
  async function sweep(cases: Case[], parallel = 4): Promise<string[]> {
    const problems: string[] = [];
    let next = 0;
    const lane = async () => {
      while (next < cases.length) {
        const p = await hit(cases[next++]);
        if (p) problems.push(p);
      }
    };
    await Promise.all(Array.from({ length: parallel }, lane));
    const more = problems.length > 10 ? [`… and ${problems.length - 10} more`] : [];
    return [...problems.slice(0, 10), ...more];
  }

  /** Runs a property: each generated request must pass `problemWith`. */
  const property = <T>(
    r: Route,
    arb: fc.Arbitrary<T>,
    toReq: (v: T) => RawRequest,
    numRuns: number,
    expectation: Expectation = 'reject',
  ) =>
    fc.assert(
      fc.asyncProperty(arb, async (v) => {
        const p = await hit({ route: r, req: toReq(v), expect: expectation });
        if (p) throw new Error(p);
      }),
      { numRuns },
    );

  it('finds the API routes in the live OpenAPI document', () => {
    const keys = routes.map((r) => r.key);
    for (const k of [
      'POST /api/sms',
      'POST /api/sms/send-bulk',
      'GET /api/sms',
      'GET /api/sms/{id}',
      'POST /api/auth/login',
      'PATCH /api/admin/users/{id}',
      'PUT /api/admin/rate-limit',
    ]) {
      expect(keys).toContain(k);
    }
    expect(route('POST /api/sms').body?.properties).toHaveProperty('recipient');
  });

  it('answers 400 to every path id that is not a positive integer', async () => {
    const cases = routes
      .filter((r) => r.pathParams.length)
      .flatMap((r) =>
        BAD_IDS.map((id): Case => ({
          route: r,
          expect: 'reject',
          status: 400,
          req: {
            method: r.method,
            path: fillPath(r.template, id),
            ...(r.body ? { headers: JSON_HEADERS, body: JSON.stringify(exampleBody(r.body)) } : {}),
          },
        })),
      );
    expect(await sweep(cases)).toEqual([]);
  });

  it('refuses bodies in other formats, unparsable JSON and bodies the parser skips', async () => {
    const cases: Case[] = [];
    for (const r of routes) {
      const path = reachablePath(r);
      const bodies = [
        r.body ? JSON.stringify(exampleBody(r.body)) : '{"x_unknown_field":1}',
        'username=a&password=b',
        '<x>1</x>',
        '{',
      ];
      for (const ct of BAD_CONTENT_TYPES) {
        for (const body of bodies) {
          cases.push({
            route: r,
            expect: isApi(r) ? 'reject' : 'tolerate',
            req: { method: r.method, path, headers: ct.headers, body, note: ct.label },
          });
        }
      }
      for (const body of MALFORMED_JSON) {
        cases.push({
          route: r,
          expect: 'reject',
          req: { method: r.method, path, headers: JSON_HEADERS, body, note: 'malformed JSON' },
        });
      }
      for (const body of REFUSED_JSON) {
        cases.push({
          route: r,
          expect: 'reject',
          status: r.csv ? 415 : 400,
          req: { method: r.method, path, headers: JSON_HEADERS, body, note: 'refused JSON' },
        });
      }
      // Junk that a lenient decoder turns into JSON: refused by DTOs, ignored by plain GETs.
      if (r.body || r.method === 'GET') {
        for (const body of LENIENTLY_PARSED) {
          cases.push({
            route: r,
            expect: r.body ? 'reject' : 'tolerate',
            req: { method: r.method, path, headers: JSON_HEADERS, body, note: 'odd bytes' },
          });
        }
      }
      // A JSON-ish type passes the 415 guard: the body must then be read, not ignored.
      for (const type of JSONISH_CONTENT_TYPES) {
        for (const body of ['{', '[1,]', r.body ? '{"x_unknown_field":1}' : undefined]) {
          if (body === undefined || (!r.body && !isApi(r))) continue;
          cases.push({
            route: r,
            expect: 'reject',
            req: { method: r.method, path, headers: { 'content-type': type }, body },
          });
        }
      }
    }
    expect(await sweep(cases)).toEqual([]);
  });

  it('rejects wrong types, missing and unknown fields, huge and empty strings in bodies', async () => {
    const cases: Case[] = [];
    for (const r of routes.filter((x) => x.body)) {
      const path = reachablePath(r);
      const schema = r.body!;
      const base = exampleBody(schema);
      const required = new Set(schema.required ?? []);
      const add = (body: string, note: string) =>
        cases.push({
          route: r,
          expect: 'reject',
          req: { method: r.method, path, headers: JSON_HEADERS, body, note },
        });
      const json = (v: unknown, note: string) => add(JSON.stringify(v), note);

      for (const [name, prop] of Object.entries(schema.properties ?? {})) {
        const wrong = wrongValues(prop);
        if (required.has(name)) wrong.push(null);
        for (const v of wrong) json({ ...base, [name]: v }, `${name}: wrong type`);
        if (required.has(name)) {
          const { [name]: _omitted, ...rest } = base;
          json(rest, `without ${name}`);
        }
        if (prop.type === 'string') {
          for (const v of ['', '   ', '\u0000', MB]) json({ ...base, [name]: v }, `${name}: odd`);
          // Attack-looking values may be valid here: pair them with an unknown field. (Login
          // checks credentials before any DTO, each with a slow password hash: a sample.)
          for (const v of r.key === 'POST /api/auth/login' ? NASTY_SAMPLE : NASTY_STRINGS) {
            json({ ...base, [name]: v, x_unknown_field: true }, `${name}: nasty + unknown`);
          }
        }
      }
      for (const key of ['x_unknown_field', 'ID', 'constructor', '', 'k'.repeat(10_000)]) {
        json({ ...base, [key]: 1 }, 'unknown field');
      }
      const fields = JSON.stringify(base).slice(1);
      add(`{"__proto__":{"is_admin":true,"x":1},${fields}`, '__proto__');
      add(`{"constructor":{"prototype":{"x":1}},${fields}`, 'constructor.prototype');
      if (required.size) json({}, 'empty object');
      json([], 'array');
      json([base], 'array of a valid body');
      json([base, base], 'two bodies');
      add('['.repeat(5000) + ']'.repeat(5000), 'deep array');
      add('{"a":'.repeat(5000) + '1' + '}'.repeat(5000), 'deep object');
      json({ ...base, x_unknown_field: Array.from({ length: 50_000 }, (_, i) => i) }, 'big array');
      json(Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i])), 'many keys');
    }
    expect(await sweep(cases)).toEqual([]);
  });

  /** Values a documented query parameter can never take (only for strict routes). */
  function invalidQueryValues(p: RouteParam): string[] {
    const s = p.schema ?? {};
    if (s.enum) {
      const first = String(s.enum[0]);
      return ['bogus', '', first.toUpperCase(), `${first}%20`, enc(`${first}' OR 1=1 --`), '%00'];
    }
    if (s.type === 'number' || s.type === 'integer') {
      const out = ['abc', '', '%20', '1.5', '1e400', 'NaN', 'Infinity', '-Infinity', '1%2C2'];
      out.push('0x', '%00', '9'.repeat(400), '1.0000001', '--1', enc('١'), enc("1' OR 1=1 --"));
      if ((s.minimum ?? 0) >= 1) out.push('0', '-1', '-0', String(s.minimum! - 0.5));
      if (s.maximum !== undefined) out.push(String(s.maximum + 1), `${s.maximum}.5`, '1e300');
      return out;
    }
    if (s.format === 'date-time') {
      return ['notadate', '2026-13-45T00%3A00%3A00Z', '', '0000-01-01', '-271821-04-20', '%00'];
    }
    return [];
  }

  it('rejects absurd pagination and unknown query parameters; no query junk causes a 5xx', async () => {
    const cases: Case[] = [];
    for (const r of routes.filter((x) => !handlerOffLimits(x))) {
      const path = reachablePath(r);
      const extra = invalidBodyFor(r);
      const add = (query: string, expectation: Expectation, note?: string) =>
        cases.push({
          route: r,
          expect: r.body ? 'reject' : expectation,
          req: { method: r.method, path: `${path}?${query}`, ...extra, note },
        });
      const strict = strictQuery(r);
      for (const p of r.query) {
        for (const v of invalidQueryValues(p))
          add(`${p.name}=${v}`, strict ? 'reject' : 'tolerate');
        add(`${p.name}=1&${p.name}=2`, strict ? 'reject' : 'tolerate');
        for (const v of NASTY_SAMPLE) add(`${p.name}=${enc(v)}`, 'tolerate');
      }
      for (const q of ['x_unknown=1', 'PAGE=1', 'page%00=1', 'foo[bar]=1', '=1', 'a=b=c']) {
        add(q, strict ? 'reject' : 'tolerate', 'unknown parameter');
      }
      for (const q of ['page=-1', 'per_page=1e9', 'page=abc', 'page=1.5', 'per_page=0']) {
        add(q, strict ? 'reject' : 'tolerate', 'absurd pagination');
      }
      for (const q of [
        '&&&',
        '?',
        '%',
        '%ZZ=%ZZ',
        '__proto__[x]=1',
        'constructor[prototype][x]=1',
        'page[]=1',
        'page[a]=1',
        `x=${'y'.repeat(8000)}`,
        Array.from({ length: 300 }, (_, i) => `k${i}=${i}`).join('&'),
        ...SHORT_NASTY.map((v) => `${enc(v)}=${enc(v)}`),
      ]) {
        add(q, 'tolerate');
      }
    }
    expect(await sweep(cases)).toEqual([]);
  });

  const sms = () => route('POST /api/sms');
  const bulk = () => route('POST /api/sms/send-bulk');
  const post = (path: string, body: unknown): RawRequest => ({
    method: 'POST',
    path,
    headers: JSON_HEADERS,
    body: JSON.stringify(body),
  });
  /** An object with the given fields plus, maybe, fields no DTO declares. */
  const withJunkKeys = <T extends object>(arb: fc.Arbitrary<T>) =>
    fc
      .tuple(arb, fc.dictionary(unknownKey, fc.jsonValue(), { maxKeys: 2 }))
      .map(([o, extra]) => ({ ...extra, ...o }));
  const adhoc = fc.option(fc.oneof(fc.boolean(), fc.constantFrom('true', 1, 0, null, [])), {
    nil: undefined,
  });

  it('POST /api/sms: fast-check bodies never get past validation', async () => {
    const r = sms();
    await property(r, fc.jsonValue(), (v) => post('/api/sms', v), 100);
    await property(
      r,
      fc.anything({ withNullPrototype: true, withObjectString: true }),
      (v) => ({ ...post('/api/sms', v), body: JSON.stringify(v) ?? '' }),
      60,
    );
    // Any recipient that is not a number, whatever the rest.
    await property(
      r,
      withJunkKeys(
        fc.record({
          recipient: fc.oneof(invalidPhone, notAString),
          content: fc.oneof(junkString, notAString),
          adhoc,
        }),
      ),
      (v) => post('/api/sms', v),
      120,
    );
    // A good number, with something else wrong.
    await property(
      r,
      fc.oneof(
        fc.record({ recipient: fc.constant(hkMobile(2)), content: invalidContent, adhoc }),
        fc.record({
          recipient: fc.constant(hkMobile(2)),
          content: junkString,
          adhoc: fc.constantFrom('true', 1, 0, null, [], {}, 'false'),
        }),
        fc
          .tuple(junkString, unknownKey, fc.jsonValue())
          .map(([content, k, v]) => ({ [k]: v, recipient: hkMobile(2), content })),
      ),
      (v) => post('/api/sms', v),
      120,
    );
  });

  it('POST /api/sms/send-bulk: fast-check bodies never get past validation', async () => {
    const r = bulk();
    const path = '/api/sms/send-bulk';
    await property(r, fc.jsonValue(), (v) => post(path, v), 80);
    // At least one bad entry among good ones.
    const recipients = fc
      .tuple(
        fc.array(fc.integer({ min: 0, max: 9_999_999 }).map(hkMobile), { maxLength: 8 }),
        fc.array(fc.oneof(invalidPhone, notAString), { minLength: 1, maxLength: 4 }),
      )
      .chain(([good, bad]) =>
        fc.shuffledSubarray([...good, ...bad], { minLength: good.length + bad.length }),
      );
    await property(
      r,
      withJunkKeys(fc.record({ recipients, content: fc.oneof(junkString, notAString), adhoc })),
      (v) => post(path, v),
      120,
    );
    await property(
      r,
      fc.oneof(
        fc.record({
          recipients: fc.oneof(
            notAString.filter((v) => !Array.isArray(v)),
            invalidPhone,
            fc.constant([]),
          ),
          content: junkString,
          adhoc,
        }),
        fc.record({ recipients: fc.constant(hkMobiles(3)), content: invalidContent, adhoc }),
        fc
          .tuple(junkString, unknownKey, fc.jsonValue())
          .map(([content, k, v]) => ({ [k]: v, recipients: hkMobiles(2), content })),
      ),
      (v) => post(path, v),
      100,
    );
  });

  it('list routes: fast-check query strings with one bad parameter are rejected', async () => {
    for (const r of routes.filter(strictQuery)) {
      const path = reachablePath(r);
      const bad = fc.oneof(
        ...r.query
          .map((p) => invalidQueryValues(p).map((v) => `${p.name}=${v}`))
          .filter((l) => l.length)
          .map((l) => fc.constantFrom(...l)),
        fc
          .tuple(
            unknownQueryKey.filter((k) => !r.query.some((p) => p.name === k)),
            junkString,
          )
          .map(([k, v]) => `${enc(k)}=${enc(v)}`),
      );
      const any = fc.oneof(
        fc
          .constantFrom(...r.query.map((p) => p.name))
          .chain((name) =>
            fc
              .oneof(junkString, fc.integer().map(String), fc.double().map(String))
              .map((v) => `${name}=${enc(v)}`),
          ),
        bad,
      );
      await property(
        r,
        fc
          .tuple(fc.array(any, { maxLength: 4 }), bad)
          .chain(([rest, b]) => fc.shuffledSubarray([...rest, b], { minLength: rest.length + 1 })),
        (parts) => ({ method: r.method, path: `${path}?${parts.join('&')}` }),
        70,
      );
    }
    // Non-list GET routes: query junk may be ignored, never a 5xx.
    for (const r of routes.filter((x) => x.method === 'GET' && !strictQuery(x))) {
      const path = reachablePath(r);
      await property(
        r,
        fc.array(fc.tuple(junkString, junkString), { maxLength: 4 }),
        (kv) => ({
          method: 'GET',
          path: `${path}?${kv.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&')}`,
        }),
        30,
        'tolerate',
      );
    }
  });

  it('rejects the known-bad values of each route (hand-written tables)', async () => {
    const cases: Case[] = [];
    const add = (key: string, body: unknown, note: string, headers = {}) => {
      const r = route(key);
      cases.push({
        route: r,
        expect: 'reject',
        req: {
          method: r.method,
          path: reachablePath(r),
          headers: { ...JSON_HEADERS, ...headers },
          body: typeof body === 'string' ? body : JSON.stringify(body),
          note,
        },
      });
    };
    // Send routes: a valid body with a bad Idempotency-Key; limits.
    for (const key of ['', 'k'.repeat(201), 'tab\there', 'caf\u00e9', ' '.repeat(201)]) {
      add('POST /api/sms', VALID_SMS, 'bad Idempotency-Key', { 'idempotency-key': key });
      const bulkBody = { recipients: [hkMobile(3)], content: VALID_SMS.content };
      add('POST /api/sms/send-bulk', bulkBody, 'bad Idempotency-Key', { 'idempotency-key': key });
    }
    add('POST /api/sms', { ...VALID_SMS, content: 'a'.repeat(1601) }, 'content too long');
    add('POST /api/sms', { ...VALID_SMS, content: '😀'.repeat(400) }, 'ucs2 too long');
    add('POST /api/sms', { ...VALID_SMS, content: MB }, '1 MB content');
    add('POST /api/sms', { ...VALID_SMS, recipient: MB }, '1 MB recipient');
    add('POST /api/sms', `{"recipient":"${hkMobile(4)}","content":1e999}`, 'Infinity');
    add('POST /api/sms/send-bulk', { recipients: hkMobiles(100_001), content: 'x' }, 'over max');
    add(
      'POST /api/sms/send-bulk',
      { recipients: [...hkMobiles(999), 'nope'], content: 'x' },
      '1 bad',
    );
    add('POST /api/sms/send-bulk', { recipients: hkMobiles(2), content: '\u0000' }, 'NUL');
    for (const v of ['+852 9123 4567', '+85291234567']) {
      add('POST /api/sms/send-bulk', { recipients: [v, v], content: ' ' }, 'blank content');
    }
    // Over the body limit (sized for SMS_MAX_BULK_RECIPIENTS recipients): 413 before parsing.
    const limit = largeBodyLimit(t.config);
    const oversize = `{"content":"${'x'.repeat(limit + 1)}"}`;
    for (const r of routes.filter((x) => x.body)) {
      cases.push({
        route: r,
        expect: 'reject',
        status: 413,
        req: {
          method: r.method,
          path: reachablePath(r),
          headers: JSON_HEADERS,
          body: oversize,
          note: 'over the limit',
        },
      });
    }
    // Users: bad usernames and passwords, duplicates, self-demotion.
    const pw = 'long enough password';
    for (const username of [
      'ab',
      'a'.repeat(65),
      'bad name',
      "' OR 1=1 --",
      '"; DROP TABLE users; --',
      '../../etc/passwd',
      '<script>',
      '${jndi:ldap://x/a}',
      'abc\u0000',
      'abc\ud800',
      '\u202eadmin',
      'ＳＭＳadmin',
      'user@example.com',
      MB,
      'SMSadmin',
      'smsADMIN',
      victim.username.toUpperCase(),
    ]) {
      add('POST /api/admin/users', { username, password: pw }, 'bad or taken username');
    }
    for (const password of ['', 'short', 'x'.repeat(201), MB, 7, null]) {
      add('POST /api/admin/users', { username: 'new_user_x', password }, 'bad password');
      add('PATCH /api/admin/users/{id}', { password }, 'bad password');
    }
    for (const body of [
      { is_active: 'false' },
      { is_admin: 0 },
      { is_active: null },
      { is_admin: null },
      { is_active: false, x_unknown_field: 1 },
      { username: 'renamed' },
      { id: 1 },
      { password_hash: 'x' },
      { session_version: 9 },
      { api_token_hash: 'x' },
    ]) {
      add('PATCH /api/admin/users/{id}', body, 'bad patch');
    }
    const self = route('PATCH /api/admin/users/{id}');
    for (const body of [{ is_active: false }, { is_admin: false }]) {
      cases.push({
        route: self,
        expect: 'reject',
        req: {
          method: 'PATCH',
          path: `/api/admin/users/${adminId}`,
          headers: JSON_HEADERS,
          body: JSON.stringify(body),
          note: 'demote self',
        },
      });
    }
    // Rate limit: out of range, not finite, wrong kind of number.
    for (const raw of [
      '{"msgs_per_sec":0,"burst_capacity":4}',
      '{"msgs_per_sec":-1,"burst_capacity":4}',
      '{"msgs_per_sec":0.0001,"burst_capacity":4}',
      '{"msgs_per_sec":100001,"burst_capacity":4}',
      '{"msgs_per_sec":1e999,"burst_capacity":4}',
      '{"msgs_per_sec":-1e999,"burst_capacity":4}',
      '{"msgs_per_sec":1e-400,"burst_capacity":4}',
      '{"msgs_per_sec":2,"burst_capacity":0}',
      '{"msgs_per_sec":2,"burst_capacity":1.5}',
      '{"msgs_per_sec":2,"burst_capacity":-4}',
      '{"msgs_per_sec":2,"burst_capacity":100001}',
      '{"msgs_per_sec":2,"burst_capacity":9007199254740993}',
      '{"msgs_per_sec":2,"burst_capacity":1e999}',
      '{"msgs_per_sec":"2","burst_capacity":"4"}',
      '{"msgs_per_sec":2}',
      '{"burst_capacity":4}',
      '{"msgs_per_sec":null,"burst_capacity":null}',
    ]) {
      add('PUT /api/admin/rate-limit', raw, 'bad rate');
    }
    // Login: junk credentials must be a 400 or 401, never a 5xx.
    for (const body of [
      { username: 'a\u0000b', password: 'x' },
      { username: 'SMSadmin', password: 'a\u0000b' },
      { username: '\ud800', password: '\udc00' },
      { username: MB, password: 'x' },
      { username: 'SMSadmin', password: MB },
      { username: "' OR 1=1 --", password: "' OR 1=1 --" },
      { username: '%', password: '%' },
      { username: ['SMSadmin'], password: ['x'] },
      { username: { $ne: null }, password: { $ne: null } },
      { username: 1, password: 1 },
      { username: true, password: true },
      { username: null, password: null },
      { username: 'SMSadmin' },
      { password: 'x' },
      { username: '', password: '' },
      { username: '\u202eSMSadmin', password: 'x' },
    ]) {
      add('POST /api/auth/login', body, 'junk credentials');
    }
    expect(await sweep(cases, 2)).toEqual([]);
  });

  it('sent at least 100 malformed requests to every route', () => {
    const few = routes
      .map((r) => `${r.key}: ${sentTo.get(r.key) ?? 0}`)
      .filter((line) => Number(line.split(': ')[1]) < 100);
    expect(few).toEqual([]);
  });

  it('changed nothing in the database', async () => {
    expect(await snapshot(t.db.dataSource)).toEqual(before);
  });
});
