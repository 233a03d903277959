import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { randomBytes } from 'node:crypto';
import { CLOCK, type Clock } from '../common/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { SessionSecretRepository } from './session-secret.repository.js';

export interface SessionClaims {
  sub: number;
  /** The user's session_version when the token was issued. */
  sv: number;
  /** This session's id, so a logout can end it alone (revoked_sessions). */
  jti: string;
  /** Expiry, seconds since the epoch (set by the signer). */
  exp: number;
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
    private readonly secrets: SessionSecretRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.sessionSecret) {
      this.secret = this.config.sessionSecret;
      return;
    }
    this.secret = await this.secrets.getOrCreate(randomBytes(48).toString('base64url'));
  }

  issue(userId: number, sessionVersion: number): { token: string; expiresAt: Date } {
    const ttl = this.config.sessionTtlSeconds;
    const claims = { sub: userId, sv: sessionVersion, jti: randomBytes(16).toString('base64url') };
    const token = this.jwt.sign(claims, {
      secret: this.secret,
      expiresIn: ttl,
      algorithm: 'HS256',
    });
    return { token, expiresAt: new Date(this.clock.now() + ttl * 1000) };
  }

  /**
   * The claims of a valid, unexpired token; null for anything else, including a token made
   * before sessions had an id (it could not be logged out alone, so it must log in again).
   */
  verify(token: string): SessionClaims | null {
    try {
      const claims = this.jwt.verify<SessionClaims>(token, {
        secret: this.secret,
        algorithms: ['HS256'],
      });
      const ok =
        Number.isInteger(claims.sub) &&
        Number.isInteger(claims.sv) &&
        Number.isInteger(claims.exp) &&
        typeof claims.jti === 'string' &&
        claims.jti.length > 0 &&
        claims.jti.length <= 64;
      return ok ? claims : null;
    } catch {
      return null;
    }
  }
}
