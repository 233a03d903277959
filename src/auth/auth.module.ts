import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { UsersModule } from '../users/users.module.js';
import { AccountService } from './account.service.js';
import { ApiTokenInvalidation } from './api-token-invalidation.js';
import { AuthController } from './auth.controller.js';
import { BearerResolver } from './bearer-resolver.js';
import { LocalStrategy } from './local.strategy.js';
import { LoginThrottleGuard } from './login-throttle.guard.js';
import { OptionalBearerGuard } from './optional-bearer.guard.js';
import { RevokedSessionsRepository } from './revoked-sessions.repository.js';
import { SessionSecretRepository } from './session-secret.repository.js';
import { SessionTokensService } from './session-tokens.service.js';

@Module({
  imports: [UsersModule, PassportModule, JwtModule.register({})],
  controllers: [AuthController],
  providers: [
    SessionTokensService,
    SessionSecretRepository,
    RevokedSessionsRepository,
    AccountService,
    LocalStrategy,
    BearerResolver,
    ApiTokenInvalidation,
    LoginThrottleGuard,
    OptionalBearerGuard,
  ],
  exports: [SessionTokensService, BearerResolver, OptionalBearerGuard, UsersModule],
})
export class AuthModule {}
