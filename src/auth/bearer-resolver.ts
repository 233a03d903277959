import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { UsersService } from '../users/users.service.js';
import { AuthenticatedUser } from '../access/authenticated-user.js';
import { RevokedSessionsRepository } from './revoked-sessions.repository.js';
import { SessionTokensService } from './session-tokens.service.js';
import { API_TOKEN_PREFIX, hashApiToken } from '../users/api-tokens.js';
import { ApiTokenCache, type CachedUser } from '../users/api-token-cache.js';

function toCaller(
  u: CachedUser,
  via: AuthenticatedUser['via'],
  session?: AuthenticatedUser['session'],
): AuthenticatedUser {
  return {
    id: u.id,
    username: u.username,
    isAdmin: u.isAdmin,
    isActive: u.isActive,
    canSendUrgent: u.canSendUrgent,
    weight: u.weight,
    createdAt: u.createdAt,
    via,
    session,
  };
}

/**
 * Turns a bearer token into its caller: API tokens (prefixed, looked up by hash) and
 * session tokens (signed, expiring, not logged out). Either way a disabled account or a
 * changed password takes effect at once: sessions re-read the user, API tokens go through a
 * cache that every change to the user empties (ApiTokenCache).
 */
@Injectable()
export class BearerResolver {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionTokensService,
    private readonly revoked: RevokedSessionsRepository,
    private readonly apiTokens: ApiTokenCache,
  ) {}

  async resolve(token: string): Promise<AuthenticatedUser | false> {
    if (token.length > 2048) return false;
    if (token.startsWith(API_TOKEN_PREFIX)) {
      const hash = hashApiToken(token);
      const user = await this.apiTokens.lookup(hash, () => this.users.findByApiTokenHash(hash));
      return user?.isActive ? toCaller(user, 'api_token') : false;
    }
    const claims = this.sessions.verify(token);
    if (!claims) return false;
    const user = await this.revoked.findSessionUser(claims.sub, claims.jti);
    if (!user?.isActive || user.sessionVersion !== claims.sv) return false;
    return toCaller(user, 'session', { id: claims.jti, expiresAt: new Date(claims.exp * 1000) });
  }
}

/**
 * The token of an `Authorization: Bearer <token>` header, the only place a token is read: a
 * `?access_token=` or a body field would end up in logs, histories and referrers.
 */
export function headerToken(req: Request): string | undefined {
  return /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
}
