import { describe, expect, it } from '@jest/globals';
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { httpLogger } from './http-logger.js';
import { requestContext } from './request-context.js';

/** A logger at `level` writing its lines into `lines`. */
function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { logger, lines };
}

/** An app whose one route answers the request id it sees and the context's. */
function appWith(level: string) {
  const { logger, lines } = capture(level);
  const app = express();
  app.use(httpLogger(logger));
  app.get(['/api/x', '/api/health/live', '/metrics'], (req, res) => {
    res.json({
      id: (req as unknown as { id: string }).id,
      ctx: requestContext.getStore()?.requestId,
    });
  });
  return { app, lines };
}

describe('httpLogger', () => {
  it.each([
    ['debug', true],
    ['info', false],
    ['warn', false],
  ])(
    'at %s: echoes a sane X-Request-Id, makes one otherwise; request context: %s',
    async (level, inContext) => {
      const { app } = appWith(level);
      const given = await request(app).get('/api/x').set('X-Request-Id', 'abc-123');
      expect(given.headers['x-request-id']).toBe('abc-123');
      expect(given.body).toEqual({ id: 'abc-123', ...(inContext ? { ctx: 'abc-123' } : {}) });
      const made = await request(app).get('/api/x').set('X-Request-Id', 'bad id with spaces');
      const id = made.headers['x-request-id'];
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(made.body).toEqual({ id, ...(inContext ? { ctx: id } : {}) });
    },
  );

  it.each(['debug', 'info', 'warn'])(
    'at %s: serves probes and scrapes with a request id but outside any context, unlogged',
    async (level) => {
      const { app, lines } = appWith(level);
      for (const path of ['/api/health/live', '/metrics']) {
        const res = await request(app).get(path).set('X-Request-Id', 'probe-1');
        expect(res.headers['x-request-id']).toBe('probe-1');
        expect(res.body).toEqual({ id: 'probe-1' });
      }
      expect(lines).toHaveLength(0);
    },
  );

  it('writes an access line at info, none at warn', async () => {
    const info = appWith('info');
    await request(info.app).get('/api/x?access_token=secret');
    expect(info.lines).toHaveLength(1);
    expect(info.lines[0]).toMatchObject({ req: { url: '/api/x?access_token=[redacted]' } });
    const warn = appWith('warn');
    await request(warn.app).get('/api/x');
    expect(warn.lines).toHaveLength(0);
  });
});
