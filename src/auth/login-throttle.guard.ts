import { CanActivate, ExecutionContext, Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request, Response } from 'express';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { DataSource } from 'typeorm';
import { AppError } from '../common/app-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

/** Too many password attempts; `retryAfterSeconds` goes into a Retry-After header. */
export class ThrottledError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, 'RATE_LIMITED', 'Too many login attempts, try again later');
  }
}

/**
 * Counts password attempts in PostgreSQL, so the limits hold across every process: per
 * client address and username (one attacker cannot lock out other users), and per client
 * address alone (one address cannot try many usernames). The address is `req.ip`, which
 * honours X-Forwarded-For only from the proxies named in TRUST_PROXY.
 * (Not @nestjs/throttler: it is CommonJS requiring ESM-only Nest 12, which jest on Node 20
 * cannot load.)
 */
@Injectable()
export class LoginThrottleGuard implements CanActivate, OnModuleInit {
  private perUser: RateLimiterPostgres;
  private perAddress: RateLimiterPostgres;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const limiter = (keyPrefix: string, points: number) =>
      new RateLimiterPostgres({
        storeClient: this.dataSource,
        storeType: 'typeorm',
        tableName: 'login_attempts',
        tableCreated: true, // made by a migration, never by the library
        keyPrefix,
        points,
        duration: Math.ceil(this.config.loginThrottleTtlMs / 1000),
      });
    this.perUser = limiter('login', this.config.loginThrottleLimit);
    this.perAddress = limiter('login-ip', this.config.loginThrottleIpLimit);
  }

  private userKey(ip: string, username: unknown): string {
    // NUL cannot be stored in the PostgreSQL key column.
    const name = typeof username === 'string' ? username.replace(/\u0000/g, '') : '';
    return `${ip}|${name.toLowerCase().slice(0, 64)}`;
  }

  /** Counts one password attempt for `username` from `ip`; throws ThrottledError over a limit. */
  async attempt(ip: string, username: unknown): Promise<void> {
    try {
      await this.perAddress.consume(ip);
      await this.perUser.consume(this.userKey(ip, username));
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      throw new ThrottledError(Math.ceil(err.msBeforeNext / 1000));
    }
  }

  /**
   * A right password: that username's run of failures is cleared, and the attempt is given
   * back to the address, so only failures count there (a login to one's own account
   * between guesses cannot clear the address's count).
   */
  async succeeded(ip: string, username: unknown): Promise<void> {
    await this.perUser.delete(this.userKey(ip, username));
    await this.perAddress.reward(ip, 1);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    try {
      await this.attempt(
        clientAddress(req),
        (req.body as { username?: unknown } | undefined)?.username,
      );
      return true;
    } catch (err) {
      if (err instanceof ThrottledError) {
        const res = context.switchToHttp().getResponse<Response>();
        res.setHeader('Retry-After', String(err.retryAfterSeconds));
      }
      throw err;
    }
  }
}

/** The client's address as express sees it (after TRUST_PROXY), never empty. */
export const clientAddress = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? '';
