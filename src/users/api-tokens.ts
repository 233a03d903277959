import { createHash, randomBytes } from 'node:crypto';

/** API tokens carry this prefix, so they can be told from session tokens (JWTs) at a glance. */
export const API_TOKEN_PREFIX = 'smsp_';

export function newApiToken(): string {
  return API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * API tokens hold 256 random bits, so a fast hash is enough to make the stored value useless
 * to a thief, and it allows an indexed lookup (a salted slow hash would not).
 */
export function hashApiToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
