import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

export const MAX_URL_LENGTH = 2000;

/*
 * Addresses a webhook may not reach unless WEBHOOK_ALLOW_PRIVATE=true (SSRF): unspecified,
 * loopback, private (RFC 1918, shared 100.64/10, IPv6 unique local), link-local (cloud
 * metadata lives at 169.254.169.254) and broadcast. IPv4-mapped IPv6 is judged by its IPv4.
 */
const BLOCKED = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['255.255.255.255', 32],
] as const) {
  BLOCKED.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const) {
  BLOCKED.addSubnet(net, bits, 'ipv6');
}

/** True for an address a webhook may not reach by default. */
export function isBlockedAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) return BLOCKED.check(mapped[1], 'ipv4');
  const family = isIP(bare);
  if (family === 0) return true;
  return BLOCKED.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

/** Why a URL cannot be a webhook's, before any DNS: scheme, length, form. Null: fine. */
export function urlFormProblem(raw: string): string | null {
  if (raw.length > MAX_URL_LENGTH) return `url must be at most ${MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'url must be an absolute http or https URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'url must use http or https';
  if (!url.hostname) return 'url must name a host';
  return null;
}

export type Resolver = (host: string) => Promise<string[]>;

export const dnsResolver: Resolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Why the URL's host may not be reached: it is, or resolves to, a refused address. Null:
 * fine. A host that does not resolve is refused too (nothing could be delivered to it).
 */
export async function hostProblem(raw: string, resolve: Resolver = dnsResolver) {
  const host = new URL(raw).hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = await resolve(host);
    } catch {
      return `url host ${host} does not resolve`;
    }
  }
  if (addresses.length === 0) return `url host ${host} does not resolve`;
  const bad = addresses.find(isBlockedAddress);
  return bad
    ? `url host ${host} is or resolves to a loopback, private, link-local or unspecified address (${bad})`
    : null;
}
