import { DynamicModule, Module } from '@nestjs/common';
import { ClockModule } from '../common/clock.module.js';
import { ClaimConnections } from './claim-connections.js';
import type { QueueRole } from '../config/app-config.js';
import { GatewayModule } from '../gateway/gateway.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { ExpiryScheduler } from './expiry.scheduler.js';
import { LeaseRecoveryScheduler } from './lease-recovery.scheduler.js';
import { QueueControlRepository } from './queue-control.repository.js';
import { QueueControlService } from './queue-control.service.js';
import { QueueHealthService } from './queue-health.js';
import { QueueHousekeepingScheduler } from './queue-housekeeping.scheduler.js';
import { QueueNotifier } from './queue-notifier.js';
import { QueueRepository } from './queue.repository.js';
import { QueueWorkerService } from './queue-worker.service.js';
import { ReleaseRepository } from './release.repository.js';
import { ReleaseScheduler } from './release.scheduler.js';

const CORE = [
  ClaimConnections,
  QueueRepository,
  QueueControlRepository,
  QueueControlService,
  QueueHealthService,
  QueueHousekeepingScheduler,
  QueueNotifier,
];
/**
 * The sending side, the release of scheduled jobs and the expiry of late ones. API-only processes (QUEUE_ROLE=api)
 * do not run it.
 */
const WORKER = [
  QueueWorkerService,
  LeaseRecoveryScheduler,
  ExpiryScheduler,
  ReleaseRepository,
  ReleaseScheduler,
];

/**
 * The queue: every write to recipients, the pause switch, the workers table and the send
 * statistics happens in this module. Other modules use its controls (pause, cancel, retry,
 * dead letters) and its health through the exported services. Global, because whether it
 * runs the worker depends on the process's role, which only the root module knows.
 */
@Module({})
export class QueueModule {
  static forRole(role: QueueRole): DynamicModule {
    return {
      global: true,
      module: QueueModule,
      imports: [ClockModule, RateLimitModule, GatewayModule],
      providers: role === 'api' ? CORE : [...CORE, ...WORKER],
      exports: [QueueControlService, QueueHealthService, QueueNotifier],
    };
  }
}
