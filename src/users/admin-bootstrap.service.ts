import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { hashPassword } from '../auth/password-hasher.js';
import { hashApiToken, newApiToken } from '../auth/tokens.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

const BOOTSTRAP_LOCK_KEY = 7_356_026_002;

/**
 * Creates the first admin when there is none. Runs in a transaction under an advisory lock
 * so two processes starting together create one admin and print one password.
 */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Bootstrap');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const password = this.config.adminPassword ?? randomBytes(12).toString('base64url');
    const hash = await hashPassword(password);
    const created = await this.dataSource.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK_KEY]);
      const admins = await m.query('SELECT 1 FROM users WHERE is_admin LIMIT 1');
      if (admins.length > 0) return false;
      const taken = await m.query('SELECT 1 FROM users WHERE lower(username) = lower($1)', [
        this.config.adminUsername,
      ]);
      if (taken.length > 0) {
        this.logger.warn(
          `No admin exists and username ${this.config.adminUsername} is taken by a user`,
        );
        return false;
      }
      await m.query(
        `INSERT INTO users (username, password_hash, api_token_hash, is_admin) VALUES ($1, $2, $3, true)`,
        [this.config.adminUsername, hash, hashApiToken(newApiToken())],
      );
      return true;
    });
    if (!created) return;
    if (this.config.adminPassword) {
      this.logger.log(
        `Created admin "${this.config.adminUsername}" with the password from ADMIN_PASSWORD`,
      );
    } else {
      // Printed exactly once, on the start that creates the admin; never stored in clear.
      this.logger.warn(
        `Created admin "${this.config.adminUsername}" with password: ${password}  (shown only this once; change it)`,
      );
    }
  }
}
