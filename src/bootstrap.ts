import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { configureApp } from './app.setup.js';
import { createRootLogger, NestPinoLogger } from './common/logging/logger.js';
import { AppConfig } from './config/app-config.js';
import { resolveDatabase } from './database/resolve-database.js';
import { missingNodeFlags, NODE_FLAGS } from './node-flags.js';

/** Starts the service for a validated configuration and owns its shutdown. */
export async function start(config: AppConfig, startedAt: number): Promise<void> {
  const pino = createRootLogger(config.logLevel);
  Logger.overrideLogger(new NestPinoLogger(pino));
  const log = new Logger('Main');
  const missing = missingNodeFlags();
  if (missing.length) {
    log.warn(
      `started without ${missing.join(' ')}: run as npm start does (node ${NODE_FLAGS.join(' ')} dist/src/main.js), or memory and CPU under load grow`,
    );
  }
  const db = await resolveDatabase(config, (line) => log.log(line));
  const app = await NestFactory.create(AppModule.forRoot({ ...config, databaseUrl: db.url }), {
    logger: new NestPinoLogger(pino),
    bodyParser: false,
  });
  configureApp(app, config, pino);
  await app.listen(config.port);
  log.log(
    `smspanel ${config.version} (${config.queueRole}) listening on http://localhost:${config.port} (docs at /docs) in ${Date.now() - startedAt} ms`,
  );

  // Our own handler rather than enableShutdownHooks: the app must close (drain the queue)
  // before the embedded database stops, and the process must end with exit code 0.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.log(`${signal} received: shutting down`);
    try {
      await app.close();
      await db.stop();
      process.exit(0);
    } catch (err) {
      console.error(err);
      process.exit(1);
    }
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void stop(signal));
}
