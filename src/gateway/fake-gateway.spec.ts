import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeGateway } from '../../test/support/fake-gateway.js';

let fake: FakeGateway;
beforeAll(async () => {
  fake = await FakeGateway.start({ defaultAnswer: { status: 202, body: 'queued' } });
});
afterAll(async () => {
  await fake.stop();
});

const post = (to: string) =>
  fetch(fake.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ to, text: 'hi' }),
  }).then(async (r) => [r.status, await r.text()]);

describe(FakeGateway.name, () => {
  it('answers from a script in order, then the default', async () => {
    fake.script('+1555', [
      { status: 500, body: 'a' },
      { status: 400, body: 'b' },
    ]);
    const before = performance.timeOrigin + performance.now();
    expect(await post('+1555')).toEqual([500, 'a']);
    const after = performance.timeOrigin + performance.now();
    expect(await post('+1555')).toEqual([400, 'b']);
    expect(await post('+1555')).toEqual([202, 'queued']);
    expect(fake.countFor('+1555')).toBe(3);
    // Arrival times are on the clock the benches compare them with.
    expect(fake.requests[0].at).toBeGreaterThanOrEqual(before);
    expect(fake.requests[0].at).toBeLessThanOrEqual(after);
  });

  it('records requests before answering and wakes waiters', async () => {
    fake.reset();
    fake.setDefault({ status: 200, delayMs: 300 });
    const pending = post('+1666');
    await fake.waitForRequests(1, 1000);
    expect(fake.requests).toHaveLength(1);
    await pending;
    await expect(fake.waitForRequests(2, 50)).rejects.toThrow(/1\/2 requests/);
    fake.reset();
    expect(fake.requests).toHaveLength(0);
    expect(await post('+1777')).toEqual([202, 'queued']);
  });

  it('keeps each request whole; lean: when, where, to whom and what, no fields or headers', async () => {
    fake.reset();
    await post('+1777');
    expect(fake.requests[0].fields).toEqual({ to: '+1777', text: 'hi' });
    expect(fake.requests[0].headers['content-type']).toBe('application/json');
    const lean = await FakeGateway.start({ lean: true });
    try {
      const res = await fetch(lean.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ mrt: '85291234567', msg_utf8: 'hello' }).toString(),
      });
      expect(res.status).toBe(200);
      expect(lean.requests).toEqual([
        {
          at: expect.any(Number),
          path: '/send',
          to: '+85291234567',
          text: 'hello',
          fields: {},
          headers: {},
          answeredAt: expect.any(Number),
        },
      ]);
    } finally {
      await lean.stop();
    }
  });
});
