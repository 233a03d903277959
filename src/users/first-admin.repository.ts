import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

const BOOTSTRAP_LOCK_KEY = 7_356_026_002;

export type FirstAdminOutcome = 'created' | 'admin-exists' | 'username-taken';

@Injectable()
export class FirstAdminRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Creates the admin when no admin exists. In a transaction under an advisory lock, so two
   * processes starting together create one admin.
   */
  createIfNoAdmin(
    username: string,
    passwordHash: string,
    apiTokenHash: string,
  ): Promise<FirstAdminOutcome> {
    return this.dataSource.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK_KEY]);
      const admins = await m.query('SELECT 1 FROM users WHERE is_admin LIMIT 1');
      if (admins.length > 0) return 'admin-exists';
      const taken = await m.query('SELECT 1 FROM users WHERE lower(username) = lower($1)', [
        username,
      ]);
      if (taken.length > 0) return 'username-taken';
      await m.query(
        `INSERT INTO users (username, password_hash, api_token_hash, is_admin) VALUES ($1, $2, $3, true)`,
        [username, passwordHash, apiTokenHash],
      );
      return 'created';
    });
  }
}
