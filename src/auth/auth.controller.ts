import { Body, Controller, Get, HttpCode, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiEnvelope, ApiErrors } from '../common/api-docs.js';
import { TokenDto, UserDto } from '../users/dto/user.dto.js';
import type { UserEntity } from '../users/user.entity.js';
import { AccountService } from './account.service.js';
import { Authenticated, CurrentUser } from '../access/authenticated.decorator.js';
import type { AuthenticatedUser } from '../access/authenticated-user.js';
import { ChangePasswordDto, ConfirmPasswordDto, LogoutQueryDto } from './dto/account.dto.js';
import { LoginDto, LoginResponseDto } from './dto/login.dto.js';
import { LocalAuthGuard } from './local-auth.guard.js';
import { clientAddress, LoginThrottleGuard } from './login-throttle.guard.js';
import { SessionTokensService } from './session-tokens.service.js';

@ApiTags('Auth')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly sessions: SessionTokensService,
    private readonly account: AccountService,
    private readonly throttle: LoginThrottleGuard,
  ) {}

  @Post('login')
  @HttpCode(200)
  @UseGuards(LoginThrottleGuard, LocalAuthGuard)
  @ApiOperation({
    summary: 'Log in with username and password; returns an expiring session token',
    description:
      'Unknown user, wrong password and disabled user get the same 401. Repeated failures are throttled per client address and username, and per client address across all usernames (429 with Retry-After).',
  })
  @ApiBody({ type: LoginDto })
  @ApiEnvelope(LoginResponseDto)
  @ApiErrors(400, 401, 429)
  async login(@CurrentUser() user: unknown, @Req() req: Request): Promise<LoginResponseDto> {
    const u = user as UserEntity;
    await this.throttle.succeeded(clientAddress(req), u.username);
    const { token, expiresAt } = this.sessions.issue(u.id, u.sessionVersion);
    return {
      token,
      token_type: 'Bearer',
      expires_at: expiresAt.toISOString(),
      user: {
        id: u.id,
        username: u.username,
        is_admin: u.isAdmin,
        can_send_urgent: u.canSendUrgent,
        weight: u.weight,
      },
    };
  }

  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: 'The caller' })
  @ApiEnvelope(UserDto)
  me(@CurrentUser() user: AuthenticatedUser): UserDto {
    return UserDto.from(user);
  }

  @Post('logout')
  @HttpCode(204)
  @Authenticated()
  @ApiOperation({
    summary: 'End the calling session token, or with ?all=true every session of the caller',
    description:
      'Server-side: the session token gets 401 from then on. With ?all=true every session token of the caller ends, on every device; the API token stays. Called with an API token, only ?all=true is accepted (409 otherwise: an API token is not a session; replace it with POST /api/auth/token, or ask an admin to revoke it).',
  })
  @ApiResponse({ status: 204, description: 'Logged out; no body' })
  @ApiErrors(400, 409)
  async logout(@CurrentUser() user: AuthenticatedUser, @Query() q: LogoutQueryDto): Promise<void> {
    await this.account.logout(user, q.all ?? false);
  }

  @Post('token')
  @Authenticated()
  @ApiOperation({
    summary: "Rotate the caller's own API token (the old one stops working); shown once",
    description:
      'Requires the current password, so a stolen session cannot mint a long-lived token: missing → 400, wrong → 401 (wrong passwords count against the login limits: 429).',
  })
  @ApiBody({ type: ConfirmPasswordDto })
  @ApiEnvelope(TokenDto, 201)
  @ApiErrors(400, 429)
  async rotate(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: ConfirmPasswordDto,
    @Req() req: Request,
  ): Promise<TokenDto> {
    return { token: await this.account.rotateOwnToken(user, clientAddress(req), body.password) };
  }

  @Post('password')
  @HttpCode(204)
  @Authenticated()
  @ApiOperation({
    summary: "Change the caller's password; every session of the caller ends",
    description:
      'Every session token of the caller ends, the calling one included: log in again with the new password. The API token stays. Wrong current password → 401 (counted against the login limits: 429).',
  })
  @ApiBody({ type: ChangePasswordDto })
  @ApiResponse({ status: 204, description: 'Changed; no body. Log in again.' })
  @ApiErrors(400, 429)
  async changePassword(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: ChangePasswordDto,
    @Req() req: Request,
  ): Promise<void> {
    const ip = clientAddress(req);
    await this.account.changePassword(user, ip, body.current_password, body.new_password);
  }
}
