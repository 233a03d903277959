import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AuthenticatedUser } from '../access/authenticated-user.js';
import { BearerResolver, headerToken } from './bearer-resolver.js';

/** For public routes that say more to a caller with a valid token; never refuses. */
@Injectable()
export class OptionalBearerGuard implements CanActivate {
  constructor(private readonly resolver: BearerResolver) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request & { user?: AuthenticatedUser }>();
    const token = headerToken(req);
    if (token) {
      const user = await this.resolver.resolve(token);
      if (user) req.user = user;
    }
    return true;
  }
}
