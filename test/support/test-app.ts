import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { DestinationStream } from 'pino';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { AppModule } from '../../src/app.module.js';
import { configureApp } from '../../src/app.setup.js';
import { createRootLogger, NestPinoLogger } from '../../src/common/logging/logger.js';
import { AppConfig } from '../../src/config/app-config.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createTestDatabase, TestDatabase } from './test-database.js';

export const TEST_ADMIN = { username: 'SMSadmin', password: 'admin-password-for-tests' };

export interface TestApp {
  app: INestApplication;
  db: TestDatabase;
  config: AppConfig;
  http: () => ReturnType<typeof request>;
  close(): Promise<void>;
}

/**
 * The real AppModule over HTTP on a fresh database of its own. `env` holds environment
 * variables as an operator would set them (validated the same way). With `shared`, the app
 * joins another app's database instead (a second process of one cluster); closing it then
 * leaves the database to its owner. `logTo` receives the log lines instead of stdout.
 */
export async function createTestApp(
  env: Record<string, string> = {},
  label = 'app',
  shared?: TestDatabase,
  logTo?: DestinationStream,
): Promise<TestApp> {
  const db = shared ?? (await createTestDatabase(label));
  const config = {
    ...loadConfig({ LOG_LEVEL: 'error', ADMIN_PASSWORD: TEST_ADMIN.password, ...env }),
    databaseUrl: db.url,
  };
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot(config)],
  }).compile();
  const pino = createRootLogger(config.logLevel, logTo);
  const app = moduleRef.createNestApplication({
    bodyParser: false,
    logger: new NestPinoLogger(pino),
  });
  configureApp(app, config, pino);
  await app.init();
  const server = app.getHttpServer() as App;
  return {
    app,
    db,
    config,
    http: () => request(server),
    async close() {
      await app.close();
      if (!shared) await db.drop();
    },
  };
}

export interface TestCluster {
  api: TestApp;
  workers: TestApp[];
  close(): Promise<void>;
}

/**
 * One API app and `workers` worker apps (QUEUE_ROLE api / worker) on one fresh database: one
 * queue, one bucket, one pause switch, each app with its own connection pool.
 */
export async function createTestCluster(
  env: (role: 'api' | 'worker') => Record<string, string>,
  label: string,
  workers = 2,
): Promise<TestCluster> {
  const api = await createTestApp({ ...env('api'), QUEUE_ROLE: 'api' }, label);
  const cluster: TestCluster = {
    api,
    workers: [],
    async close() {
      for (const w of cluster.workers) await w.close().catch(() => undefined);
      await api.close();
    },
  };
  for (let i = 0; i < workers; i++) {
    cluster.workers.push(
      await createTestApp({ ...env('worker'), QUEUE_ROLE: 'worker' }, label, api.db),
    );
  }
  return cluster;
}
