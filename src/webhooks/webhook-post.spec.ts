import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postWebhook } from './webhook-post.js';

/**
 * A receiver that drops a kept-alive connection at its second request, as one whose
 * keep-alive timeout closed the socket just as it was reused: the POST goes again on a fresh
 * socket within the same attempt.
 */
describe(postWebhook.name, () => {
  let server: Server;
  let url: string;
  const seen: { socketRequest: number }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const socket = req.socket as typeof req.socket & { served?: number };
      socket.served = (socket.served ?? 0) + 1;
      seen.push({ socketRequest: socket.served });
      req.resume();
      req.on('end', () => {
        if (socket.served! > 1) return socket.destroy();
        res.writeHead(200, { connection: 'keep-alive' }).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const post = () =>
    postWebhook({
      url,
      headers: { 'content-type': 'application/json' },
      body: '{}',
      timeoutMs: 2_000,
      allowPrivate: true,
    });

  it('makes a request cut on a reused socket once more on a fresh one', async () => {
    expect(await post()).toEqual({ ok: true, status: 200, error: null });
    expect(await post()).toEqual({ ok: true, status: 200, error: null });
    // The second POST reached the reused socket (dropped there), then a new one.
    expect(seen.map((s) => s.socketRequest)).toEqual([1, 2, 1]);
  });
});
