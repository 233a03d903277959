import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs.js';
import { AuthenticatedUser } from './authenticated-user.js';
import { BearerAuthGuard, RolesGuard } from './guards.js';
import { ROLES_KEY } from './roles.js';

/** Guard + role metadata + Swagger security and error answers, in one place. */
export function Authenticated(opts: { admin?: boolean } = {}) {
  return applyDecorators(
    SetMetadata(ROLES_KEY, opts.admin ? ['admin'] : ['user']),
    UseGuards(BearerAuthGuard, RolesGuard),
    ApiBearerAuth(),
    opts.admin ? ApiErrors(401, 403) : ApiErrors(401),
  );
}

export const CurrentUser = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): AuthenticatedUser => ctx.switchToHttp().getRequest().user,
);
