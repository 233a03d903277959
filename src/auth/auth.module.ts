import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { UsersModule } from '../users/users.module.js';
import { AuthController } from './auth.controller.js';
import { BearerStrategy } from './bearer.strategy.js';
import { LocalStrategy } from './local.strategy.js';
import { LoginThrottleGuard } from './login-throttle.guard.js';
import { OptionalBearerGuard } from './optional-bearer.guard.js';
import { SessionTokensService } from './session-tokens.service.js';

@Module({
  imports: [UsersModule, PassportModule, JwtModule.register({})],
  controllers: [AuthController],
  providers: [
    SessionTokensService,
    LocalStrategy,
    BearerStrategy,
    LoginThrottleGuard,
    OptionalBearerGuard,
  ],
  exports: [SessionTokensService, OptionalBearerGuard, UsersModule],
})
export class AuthModule {}
