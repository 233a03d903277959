import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { QueueRepository } from './queue.repository.js';
import { QueueWorkerService } from './queue-worker.service.js';

const JOB = 'lease-recovery';

/**
 * Puts work whose lease ran out (its process died) back in the queue. A lease ends at most
 * one lease period after its holder died; checking ten times per period takes it over
 * within a tenth of a period after that.
 */
@Injectable()
export class LeaseRecoveryScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('LeaseRecovery');
  private busy = false;

  constructor(
    private readonly repo: QueueRepository,
    private readonly worker: QueueWorkerService,
    private readonly registry: SchedulerRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const every = Math.max(200, Math.floor(this.config.queueLeaseMs / 10));
    this.registry.addInterval(
      JOB,
      setInterval(() => void this.run(), every),
    );
  }

  onApplicationShutdown(): void {
    if (this.registry.doesExist('interval', JOB)) this.registry.deleteInterval(JOB);
  }

  async run(): Promise<number> {
    if (this.busy) return 0;
    this.busy = true;
    try {
      const n = await this.repo.reclaimExpired();
      if (n > 0) {
        this.logger.warn(`${n} expired lease(s) returned to the queue`);
        this.worker.wake();
      }
      return n;
    } catch (err) {
      this.logger.warn(`lease recovery failed: ${(err as Error).message}`);
      return 0;
    } finally {
      this.busy = false;
    }
  }
}
