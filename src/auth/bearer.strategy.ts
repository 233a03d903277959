import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import { UserEntity } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { AuthenticatedUser } from './authenticated-user.js';
import { SessionTokensService } from './session-tokens.service.js';
import { API_TOKEN_PREFIX } from './tokens.js';

function toCaller(u: UserEntity, via: AuthenticatedUser['via']): AuthenticatedUser {
  return {
    id: u.id,
    username: u.username,
    isAdmin: u.isAdmin,
    isActive: u.isActive,
    createdAt: u.createdAt,
    via,
  };
}

/**
 * One bearer strategy for both kinds of token: API tokens (prefixed, looked up by hash) and
 * session tokens (signed, expiring). Either way the user is re-read so a disabled account
 * or a changed password takes effect at once.
 */
@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'bearer') {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionTokensService,
  ) {
    super();
  }

  async validate(token: string): Promise<AuthenticatedUser | false> {
    return resolveBearer(token, this.users, this.sessions);
  }
}

export async function resolveBearer(
  token: string,
  users: UsersService,
  sessions: SessionTokensService,
): Promise<AuthenticatedUser | false> {
  if (token.length > 2048) return false;
  if (token.startsWith(API_TOKEN_PREFIX)) {
    const user = await users.findByApiToken(token);
    return user?.isActive ? toCaller(user, 'api_token') : false;
  }
  const claims = sessions.verify(token);
  if (!claims) return false;
  const user = await users.findById(claims.sub);
  return user?.isActive && user.sessionVersion === claims.sv ? toCaller(user, 'session') : false;
}
