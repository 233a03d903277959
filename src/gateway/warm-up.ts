import { createServer } from 'node:http';
import { postToGateway } from './http-post.js';

/**
 * The first gateway request of a process paid for loading and compiling the HTTP client:
 * 45-80 ms here, against 3 ms for later ones. That delay lands between a token and its
 * request, so the gateway would see a burst above the bucket's. One request to a throwaway
 * loopback server at start pays it before any token is taken.
 */
export async function warmUpHttpClient(): Promise<void> {
  const server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as { port: number };
    await postToGateway({
      url: `http://127.0.0.1:${port}/`,
      headers: {},
      body: 'x',
      timeoutMs: 5000,
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
