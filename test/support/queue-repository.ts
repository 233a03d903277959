import { ClaimConnections } from '../../src/queue/claim-connections.js';
import { QueueRepository } from '../../src/queue/queue.repository.js';
import type { TestDatabase } from './test-database.js';

/** The app's QueueRepository on a test database; its claim connections end when it is dropped. */
export function queueRepositoryOn(db: TestDatabase): QueueRepository {
  const claims = new ClaimConnections({ databaseUrl: db.url });
  db.beforeDrop(() => claims.onApplicationShutdown());
  return new QueueRepository(db.dataSource, claims);
}
