import { Controller, Get, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiEnvelope, ApiErrors } from '../common/api-docs.js';
import { TokenDto, UserDto } from '../users/dto/user.dto.js';
import type { UserEntity } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { Authenticated, CurrentUser } from './authenticated.decorator.js';
import type { AuthenticatedUser } from './authenticated-user.js';
import { LoginDto, LoginResponseDto } from './dto/login.dto.js';
import { LocalAuthGuard } from './guards.js';
import { LoginThrottleGuard } from './login-throttle.guard.js';
import { SessionTokensService } from './session-tokens.service.js';

@ApiTags('Auth')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly sessions: SessionTokensService,
    private readonly users: UsersService,
    private readonly throttle: LoginThrottleGuard,
  ) {}

  @Post('login')
  @HttpCode(200)
  @UseGuards(LoginThrottleGuard, LocalAuthGuard)
  @ApiOperation({
    summary: 'Log in with username and password; returns an expiring session token',
    description:
      'Unknown user, wrong password and disabled user get the same 401. Repeated failures are throttled per client address and username (429).',
  })
  @ApiBody({ type: LoginDto })
  @ApiEnvelope(LoginResponseDto)
  @ApiErrors(400, 401, 429)
  async login(@CurrentUser() user: unknown, @Req() req: Request): Promise<LoginResponseDto> {
    const u = user as UserEntity;
    await this.throttle.reset(req);
    const { token, expiresAt } = this.sessions.issue(u.id, u.sessionVersion);
    return {
      token,
      token_type: 'Bearer',
      expires_at: expiresAt.toISOString(),
      user: { id: u.id, username: u.username, is_admin: u.isAdmin },
    };
  }

  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: 'The caller' })
  @ApiEnvelope(UserDto)
  me(@CurrentUser() user: AuthenticatedUser): UserDto {
    return UserDto.from(user);
  }

  @Post('token')
  @Authenticated()
  @ApiOperation({
    summary: "Rotate the caller's own API token (the old one stops working); shown once",
  })
  @ApiEnvelope(TokenDto, 201)
  async rotate(@CurrentUser() user: AuthenticatedUser): Promise<TokenDto> {
    return { token: await this.users.rotateToken(user.id) };
  }
}
