import { Injectable } from '@nestjs/common';
import { AppError, conflict } from '../common/app-error.js';
import { UsersService } from '../users/users.service.js';
import type { AuthenticatedUser } from '../access/authenticated-user.js';
import { LoginThrottleGuard } from './login-throttle.guard.js';
import { verifyPassword } from '../users/password-hasher.js';
import { RevokedSessionsRepository } from './revoked-sessions.repository.js';

/** What callers do to their own account: log out, make an API token, change the password. */
@Injectable()
export class AccountService {
  constructor(
    private readonly users: UsersService,
    private readonly revoked: RevokedSessionsRepository,
    private readonly throttle: LoginThrottleGuard,
  ) {}

  /**
   * Ends the calling session, or with `all` every session of the caller. An API token is no
   * session: alone it is refused (409) rather than silently kept working.
   */
  async logout(caller: AuthenticatedUser, all: boolean): Promise<void> {
    if (all) return this.users.endSessions(caller.id);
    if (!caller.session) {
      throw conflict(
        'An API token is not a session: use ?all=true to end your sessions, POST /api/auth/token to replace the token',
      );
    }
    await this.revoked.revoke(caller.session.id, caller.session.expiresAt);
  }

  /** A new API token for the caller, who proves to know the password. */
  async rotateOwnToken(caller: AuthenticatedUser, ip: string, password: string): Promise<string> {
    await this.confirmPassword(caller, ip, password);
    return this.users.rotateToken(caller.id);
  }

  /** Changes the caller's password; every session ends (the update bumps session_version). */
  async changePassword(
    caller: AuthenticatedUser,
    ip: string,
    current: string,
    next: string,
  ): Promise<void> {
    await this.confirmPassword(caller, ip, current);
    await this.users.update(caller.id, caller.id, { password: next });
  }

  /** Password guesses here count against the same limits as failed logins. */
  private async confirmPassword(caller: AuthenticatedUser, ip: string, password: string) {
    await this.throttle.attempt(ip, caller.username);
    const user = await this.users.findById(caller.id);
    if (!user || !(await verifyPassword(user.passwordHash, password))) {
      throw new AppError(401, 'UNAUTHORIZED', 'Wrong password');
    }
    await this.throttle.succeeded(ip, caller.username);
  }
}
