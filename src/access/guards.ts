import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { AppError } from '../common/app-error.js';
import { AuthenticatedUser } from './authenticated-user.js';
import { Role, ROLES_KEY } from './roles.js';

const unauthorized = () => new AppError(401, 'UNAUTHORIZED', 'Missing, invalid or expired token');

@Injectable()
export class BearerAuthGuard extends AuthGuard('bearer') {
  override handleRequest<T>(err: unknown, user: T): T {
    // An error here is the user lookup failing (database away or broken), not a bad token:
    // the filter answers it 503/500 instead of a 401 that would send clients to re-login.
    if (err) throw err;
    if (!user) throw unauthorized();
    return user;
  }
}

@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<Role[]>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!roles?.includes('admin')) return true;
    const user = context.switchToHttp().getRequest<{ user?: AuthenticatedUser }>().user;
    if (!user?.isAdmin) throw new AppError(403, 'FORBIDDEN', 'Admin role required');
    return true;
  }
}
