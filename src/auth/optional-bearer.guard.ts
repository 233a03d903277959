import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { UsersService } from '../users/users.service.js';
import { AuthenticatedUser } from './authenticated-user.js';
import { resolveBearer } from './bearer.strategy.js';
import { SessionTokensService } from './session-tokens.service.js';

/** For public routes that say more to a caller with a valid token; never refuses. */
@Injectable()
export class OptionalBearerGuard implements CanActivate {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionTokensService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request & { user?: AuthenticatedUser }>();
    const match = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '');
    if (match) {
      const user = await resolveBearer(match[1], this.users, this.sessions);
      if (user) req.user = user;
    }
    return true;
  }
}
