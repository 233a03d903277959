import { createServer } from 'node:http';

/**
 * Node's fetch loads its HTTP client (and compiles its parser) on first use, which delayed
 * the first gateway request by 45-80 ms here while later ones took 3 ms. That delay lands
 * between a token and its request, so the gateway would see a burst above the bucket's. One
 * request to a throwaway loopback server at start pays the cost before any token is taken.
 */
export async function warmUpHttpClient(): Promise<void> {
  const server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as { port: number };
    await (await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'x' })).text();
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
