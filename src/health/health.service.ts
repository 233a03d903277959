import { Inject, Injectable } from '@nestjs/common';
import { TypeOrmHealthIndicator } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { QueueHealthService } from '../queue/queue-health.js';

@Injectable()
export class HealthService {
  constructor(
    private readonly db: TypeOrmHealthIndicator,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly queue: QueueHealthService,
  ) {}

  private async databaseUp(): Promise<boolean> {
    try {
      const result = await this.db.pingCheck('database', {
        connection: this.dataSource,
        timeout: 1500,
      });
      return result.database?.status === 'up';
    } catch {
      return false;
    }
  }

  async report() {
    const database = (await this.databaseUp()) ? 'up' : 'down';
    const queue =
      database === 'up' ? await this.queue.queueStatus().catch(() => 'down' as const) : 'down';
    const ok = database === 'up' && queue !== 'down';
    return {
      status: ok ? 'ok' : 'error',
      timestamp: new Date().toISOString(),
      version: this.config.version,
      checks: { database, queue },
    };
  }

  async notReadyReason(): Promise<string | undefined> {
    if (!(await this.databaseUp())) return 'database unreachable';
    try {
      if (await this.dataSource.showMigrations()) return 'migrations pending';
    } catch {
      return 'database unreachable';
    }
    return undefined;
  }
}
