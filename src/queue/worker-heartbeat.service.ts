import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { hostname } from 'node:os';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { QueueWorkerService } from './queue-worker.service.js';

/**
 * Keeps this worker's row in `workers` alive. The row expires one lease period after the
 * last beat, so a killed process drops out of the count within a lease period.
 */
@Injectable()
export class WorkerHeartbeatService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('WorkerHeartbeat');
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly worker: QueueWorkerService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.beat();
    const every = Math.max(250, Math.floor(this.config.queueLeaseMs / 4));
    this.timer = setInterval(() => void this.beat(), every);
  }

  async beat(): Promise<void> {
    try {
      await this.dataSource.query(
        `INSERT INTO workers (id, hostname, pid, expires_at)
         VALUES ($1, $2, $3, clock_timestamp() + $4 * interval '1 millisecond')
         ON CONFLICT (id) DO UPDATE SET last_seen_at = clock_timestamp(), expires_at = EXCLUDED.expires_at`,
        [this.worker.workerId, hostname(), process.pid, this.config.queueLeaseMs],
      );
      // Long-dead rows are only history; keep the table small.
      await this.dataSource.query(
        `DELETE FROM workers WHERE expires_at < now() - interval '1 hour'`,
      );
    } catch (err) {
      this.logger.warn(`heartbeat failed: ${(err as Error).message}`);
    }
  }

  /** A stopping process leaves the count at once instead of when its row expires. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.dataSource
      .query(`DELETE FROM workers WHERE id = $1`, [this.worker.workerId])
      .catch(() => undefined);
  }
}
