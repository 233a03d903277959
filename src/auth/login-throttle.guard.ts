import { CanActivate, ExecutionContext, Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request, Response } from 'express';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { DataSource } from 'typeorm';
import { AppError } from '../common/app-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

/**
 * Counts login attempts per client address and username in PostgreSQL, so the limit holds
 * across every process and one attacker cannot lock out other users.
 * (Not @nestjs/throttler: it is CommonJS requiring ESM-only Nest 12, which jest on Node 20
 * cannot load.)
 */
@Injectable()
export class LoginThrottleGuard implements CanActivate, OnModuleInit {
  private limiter: RateLimiterPostgres;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.limiter = new RateLimiterPostgres({
      storeClient: this.dataSource,
      storeType: 'typeorm',
      tableName: 'login_attempts',
      tableCreated: true, // made by a migration, never by the library
      keyPrefix: 'login',
      points: this.config.loginThrottleLimit,
      duration: Math.ceil(this.config.loginThrottleTtlMs / 1000),
    });
  }

  private key(req: Request): string {
    const body = (req.body ?? {}) as { username?: unknown };
    // NUL cannot be stored in the PostgreSQL key column.
    const name = typeof body.username === 'string' ? body.username.replace(/\u0000/g, '') : '';
    const username = name.toLowerCase().slice(0, 64);
    return `${req.ip}|${username}`;
  }

  /** A successful login clears the count: only runs of failures are throttled. */
  async reset(req: Request): Promise<void> {
    await this.limiter.delete(this.key(req));
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    try {
      await this.limiter.consume(this.key(req));
      return true;
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      const res = context.switchToHttp().getResponse<Response>();
      res.setHeader('Retry-After', String(Math.ceil(err.msBeforeNext / 1000)));
      throw new AppError(429, 'RATE_LIMITED', 'Too many login attempts, try again later');
    }
  }
}
