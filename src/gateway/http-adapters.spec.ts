import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { FakeGateway } from '../../test/support/fake-gateway.js';
import { AppConfig } from '../config/app-config.js';
import { loadConfig } from '../config/load-config.js';
import { HktGateway } from './adapters/hkt.gateway.js';
import { HttpGateway } from './adapters/http.gateway.js';
import {
  GatewayError,
  PermanentGatewayError,
  SmsGateway,
  TransientGatewayError,
} from './sms-gateway.js';

const TO = '+85291234567';
const TEXT = 'Hello 世界 & friends=1';

let fake: FakeGateway;
const configFor = (provider: 'hkt' | 'http', env: NodeJS.ProcessEnv = {}): AppConfig =>
  loadConfig({
    SMS_PROVIDER: provider,
    SMS_BASE_URL: fake.url,
    SMS_APPLICATION_ID: 'app-1',
    SMS_SENDER_NUMBER: '85260000000',
    SMS_API_SECRET: 's3cret',
    // Generous, so a loaded machine never turns a prompt answer into a timeout.
    SMS_REQUEST_TIMEOUT_MS: '5000',
    ...env,
  });

async function failure(gw: SmsGateway, to: string, signal?: AbortSignal): Promise<unknown> {
  try {
    await gw.send({ to, text: TEXT }, signal);
  } catch (err) {
    return err;
  }
  throw new Error('expected the send to fail');
}

beforeAll(async () => {
  fake = await FakeGateway.start();
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => fake.reset());

describe('HktGateway', () => {
  it('posts the exact hkt form fields', async () => {
    const answer = await new HktGateway(configFor('hkt')).send({ to: TO, text: TEXT });
    expect(answer).toMatchObject({ status: 200, body: 'OK' });
    const [req] = fake.requests;
    expect(req.fields).toEqual({
      application: 'app-1',
      mrt: '85291234567',
      sender: '85260000000',
      msg_utf8: TEXT,
    });
    expect(req).toMatchObject({ path: '/send', to: TO, text: TEXT });
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });
});

describe('HttpGateway', () => {
  it('posts JSON {to, text} with the bearer secret', async () => {
    await new HttpGateway(configFor('http')).send({ to: TO, text: TEXT });
    const [req] = fake.requests;
    expect(req.fields).toEqual({ to: TO, text: TEXT });
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.authorization).toBe('Bearer s3cret');
  });

  it('sends no Authorization header without a secret', async () => {
    await new HttpGateway(configFor('http', { SMS_API_SECRET: '' })).send({ to: TO, text: TEXT });
    expect(fake.requests[0].headers.authorization).toBeUndefined();
  });
});

describe.each([
  ['hkt', (c: AppConfig) => new HktGateway(c)],
  ['http', (c: AppConfig) => new HttpGateway(c)],
] as const)('%s adapter failure mapping', (provider, make) => {
  const gw = () => make(configFor(provider));
  /*
   * A number of its own per test: a request an earlier test gave up on (abort, timeout) can
   * still reach the fake gateway, which shares this event loop, after that test has ended,
   * and would take the answer scripted for the next one (seen in CI on a busy machine).
   */
  let to = TO;
  let nth = 0;
  beforeEach(() => {
    nth += 1;
    to = `+8529123${String(nth).padStart(4, '0')}`;
  });

  it('answers 200 with status, body and latency', async () => {
    fake.script(to, [{ status: 200, body: '{"id":42}', delayMs: 120 }]);
    const started = performance.now();
    const answer = await gw().send({ to, text: TEXT });
    const elapsed = performance.now() - started;
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('{"id":42}');
    // The gateway's own delay is in it, and nothing that happened outside the call.
    expect(answer.latencyMs).toBeGreaterThanOrEqual(110);
    expect(answer.latencyMs).toBeLessThanOrEqual(Math.ceil(elapsed));
  });

  it.each([500, 502, 503])('maps HTTP %i to a transient error', async (status) => {
    fake.script(to, [{ status, body: 'upstream down' }]);
    const err = await failure(gw(), to);
    expect(err).toBeInstanceOf(TransientGatewayError);
    expect(err).toMatchObject({
      message: `HTTP ${status}: upstream down`,
      status,
      throttled: false,
    });
  });

  it('maps 429 with Retry-After to a throttled transient error', async () => {
    fake.script(to, [{ status: 429, body: 'slow down', headers: { 'Retry-After': '2' } }]);
    const err = await failure(gw(), to);
    expect(err).toBeInstanceOf(TransientGatewayError);
    expect(err).toMatchObject({ status: 429, throttled: true, retryAfterMs: 2000 });
  });

  it('maps 400 to a permanent error keeping the body', async () => {
    fake.script(to, [{ status: 400, body: 'invalid number' }]);
    const err = await failure(gw(), to);
    expect(err).toBeInstanceOf(PermanentGatewayError);
    expect(err).toMatchObject({ message: 'HTTP 400: invalid number', status: 400 });
  });

  it('cuts the stored message at 200 characters of the body', async () => {
    fake.script(to, [{ status: 422, body: 'x'.repeat(1000) }]);
    const err = (await failure(gw(), to)) as GatewayError;
    expect(err.message).toBe(`HTTP 422: ${'x'.repeat(200)}`);
    expect(err.body).toHaveLength(500);
  });

  it('maps a slow answer to a transient timeout', async () => {
    fake.script(to, [{ status: 200, delayMs: 2000 }]);
    const err = await failure(make(configFor(provider, { SMS_REQUEST_TIMEOUT_MS: '200' })), to);
    expect(err).toBeInstanceOf(TransientGatewayError);
    expect((err as Error).message).toBe('timeout after 200 ms');
  });

  it('maps a socket reset to a transient network error', async () => {
    fake.script(to, [{ status: 200, reset: true }]);
    const err = await failure(gw(), to);
    expect(err).toBeInstanceOf(TransientGatewayError);
    expect((err as Error).message).toMatch(/^network error: ECONNRESET/);
  });

  it('maps a refused connection to a transient network error', async () => {
    const gone = await FakeGateway.start();
    await gone.stop();
    const err = await failure(make(configFor(provider, { SMS_BASE_URL: gone.url })), to);
    expect(err).toBeInstanceOf(TransientGatewayError);
    expect((err as Error).message).toBe('network error: ECONNREFUSED');
  });

  it("rethrows the caller's abort as is", async () => {
    fake.script(to, [{ status: 200, delayMs: 150 }]);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    const err = await failure(gw(), to, ac.signal);
    expect(err).not.toBeInstanceOf(GatewayError);
    expect((err as Error).name).toBe('AbortError');
  });
});
