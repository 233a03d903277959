import { DynamicModule, Module, Provider } from '@nestjs/common';
import { CLOCK, SystemClock } from '../common/clock.js';
import type { QueueRole } from '../config/app-config.js';
import { GatewayModule } from '../gateway/gateway.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { LeaseRecoveryScheduler } from './lease-recovery.scheduler.js';
import { QueueNotifier } from './queue-notifier.js';
import { QueueRepository } from './queue.repository.js';
import { QueueWorkerService } from './queue-worker.service.js';
import { WorkerHeartbeatService } from './worker-heartbeat.service.js';

/** The sending side. API-only processes (QUEUE_ROLE=api) do not include the worker. */
@Module({})
export class QueueModule {
  static forRole(role: QueueRole): DynamicModule {
    const worker: Provider[] =
      role === 'api'
        ? []
        : [QueueWorkerService, LeaseRecoveryScheduler, QueueNotifier, WorkerHeartbeatService];
    return {
      module: QueueModule,
      imports: [RateLimitModule, GatewayModule],
      providers: [QueueRepository, { provide: CLOCK, useClass: SystemClock }, ...worker],
      exports: [QueueRepository],
    };
  }
}
