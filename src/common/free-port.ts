import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Where to look: below the kernel's ephemeral range (Linux: 32768-60999 unless configured).
 * A port probed free and released is not safe to hand on from inside that range: until its
 * holder listens, the kernel may give it to any socket that asks for port 0 or connects out
 * (CI saw a test app fail with EADDRINUSE on such a port). Below it, only another prober can.
 */
function searchRange(): { min: number; max: number } {
  let ephemeralMin = 32768;
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (Number.isInteger(low) && low > 2048) ephemeralMin = low;
  } catch {
    // not Linux: keep the default
  }
  return { min: Math.max(1024, ephemeralMin - 12_000), max: ephemeralMin - 1 };
}

function listensOn(port: number): Promise<boolean> {
  return new Promise((done) => {
    const srv = createServer();
    srv.once('error', () => done(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => done(true)));
  });
}

/** A port nobody listens on now, picked at random below the ephemeral range (see above). */
export async function freePort(): Promise<number> {
  const { min, max } = searchRange();
  for (let i = 0; i < 100; i++) {
    const port = min + Math.floor(Math.random() * (max - min + 1));
    if (await listensOn(port)) return port;
  }
  throw new Error(`no free port found in ${min}-${max}`);
}
