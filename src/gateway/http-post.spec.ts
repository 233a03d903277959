import { describe, expect, it } from '@jest/globals';
import { FakeGateway } from '../../test/support/fake-gateway.js';
import { parseRetryAfter, postToGateway, statusError } from './http-post.js';
import { NotStartedError, PermanentGatewayError, TransientGatewayError } from './sms-gateway.js';

describe(parseRetryAfter.name, () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('reads seconds', () => {
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP-date, never negative', () => {
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
  });

  it('ignores absent or bad values', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe(statusError.name, () => {
  it('keeps Retry-After on a 503 and treats 404 as permanent', () => {
    expect(statusError(503, '', '3')).toMatchObject({ message: 'HTTP 503', retryAfterMs: 3000 });
    expect(statusError(503, '', null)).toBeInstanceOf(TransientGatewayError);
    expect(statusError(404, 'nope', null)).toBeInstanceOf(PermanentGatewayError);
  });
});

describe(`${postToGateway.name} with mayStart`, () => {
  const post = (url: string) => ({ url, headers: {}, body: '{}', timeoutMs: 5000 });

  it('asks right before writing: no, and nothing reaches the gateway; yes, and it does', async () => {
    const gw = await FakeGateway.start();
    try {
      // A second request reuses the kept-alive socket: asked on both paths (new and reused).
      await expect(postToGateway(post(gw.url), undefined, () => true)).resolves.toMatchObject({
        status: 200,
      });
      await expect(postToGateway(post(gw.url), undefined, () => false)).rejects.toBeInstanceOf(
        NotStartedError,
      );
      await expect(postToGateway(post(gw.url), undefined, () => true)).resolves.toMatchObject({
        status: 200,
      });
      await new Promise((r) => setTimeout(r, 100));
      expect(gw.requests).toHaveLength(2);
    } finally {
      await gw.stop();
    }
  });
});
