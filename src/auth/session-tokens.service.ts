import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

export interface SessionClaims {
  sub: number;
  /** The user's session_version when the token was issued. */
  sv: number;
}

/**
 * Signed, expiring session tokens (HS256 JWTs). The secret is SESSION_SECRET, or one made
 * once and kept in app_settings so every process of the cluster accepts every token.
 */
@Injectable()
export class SessionTokensService implements OnModuleInit {
  private secret: string;

  constructor(
    private readonly jwt: JwtService,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.sessionSecret) {
      this.secret = this.config.sessionSecret;
      return;
    }
    await this.dataSource.query(
      `INSERT INTO app_settings (key, value) VALUES ('session_secret', $1) ON CONFLICT (key) DO NOTHING`,
      [randomBytes(48).toString('base64url')],
    );
    const rows = await this.dataSource.query(
      `SELECT value FROM app_settings WHERE key = 'session_secret'`,
    );
    this.secret = rows[0].value;
  }

  issue(userId: number, sessionVersion: number): { token: string; expiresAt: Date } {
    const ttl = this.config.sessionTtlSeconds;
    const token = this.jwt.sign({ sub: userId, sv: sessionVersion } satisfies SessionClaims, {
      secret: this.secret,
      expiresIn: ttl,
      algorithm: 'HS256',
    });
    return { token, expiresAt: new Date(Date.now() + ttl * 1000) };
  }

  /** The claims of a valid, unexpired token; null for anything else. */
  verify(token: string): SessionClaims | null {
    try {
      const claims = this.jwt.verify<SessionClaims>(token, {
        secret: this.secret,
        algorithms: ['HS256'],
      });
      return Number.isInteger(claims.sub) && Number.isInteger(claims.sv) ? claims : null;
    } catch {
      return null;
    }
  }
}
