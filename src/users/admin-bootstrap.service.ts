import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { hashPassword, newRandomPassword } from './password-hasher.js';
import { hashApiToken, newApiToken } from './api-tokens.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { FirstAdminRepository } from './first-admin.repository.js';

/** Creates the first admin when there is none; two processes starting together print one password. */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Bootstrap');

  constructor(
    private readonly repo: FirstAdminRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const password = this.config.adminPassword ?? newRandomPassword();
    const hash = await hashPassword(password);
    const outcome = await this.repo.createIfNoAdmin(
      this.config.adminUsername,
      hash,
      hashApiToken(newApiToken()),
    );
    if (outcome === 'username-taken') {
      this.logger.warn(
        `No admin exists and username ${this.config.adminUsername} is taken by a user`,
      );
    }
    if (outcome !== 'created') return;
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
