import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** The session secret the whole cluster shares, kept in app_settings. */
@Injectable()
export class SessionSecretRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The stored secret; `candidate` becomes it when none is stored yet (the first process wins). */
  async getOrCreate(candidate: string): Promise<string> {
    await this.dataSource.query(
      `INSERT INTO app_settings (key, value) VALUES ('session_secret', $1) ON CONFLICT (key) DO NOTHING`,
      [candidate],
    );
    const [row] = await this.dataSource.query(
      `SELECT value FROM app_settings WHERE key = 'session_secret'`,
    );
    return row.value;
  }
}
