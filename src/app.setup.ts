import { INestApplication } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import express, { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import type { Logger as Pino } from 'pino';
import { AppError } from './common/app-error.js';
import { sendErrorEnvelope } from './common/envelope.filter.js';
import { httpLogger } from './common/logging/http-logger.js';
import { AppConfig } from './config/app-config.js';
import { httpMetrics } from './metrics/http-metrics.js';
import { MetricsService } from './metrics/metrics.service.js';
import { setupSwagger } from './swagger.js';

/** Room for SMS_MAX_BULK_RECIPIENTS numbers of up to ~30 characters each, plus the text. */
function bodyLimit(config: AppConfig): number {
  return Math.max(1_000_000, config.smsMaxBulkRecipients * 40 + 100_000);
}

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\b/i;

/** Everything main.ts and the e2e tests share: parsers, security, errors, docs. */
export function configureApp(app: INestApplication, config: AppConfig, logger: Pino): void {
  const http = app as NestExpressApplication;
  app.use(httpLogger(logger));
  app.use(httpMetrics(app.get(MetricsService)));
  http.set('trust proxy', 'loopback');
  http.disable('x-powered-by');
  app.use(helmet({ contentSecurityPolicy: false }));
  if (config.corsOrigins.length) app.enableCors({ origin: config.corsOrigins });
  // A body in another format is refused outright rather than silently read as empty.
  app.use('/api', (req: Request, _res: Response, next: NextFunction) => {
    const hasBody =
      Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'];
    const type = req.headers['content-type'] ?? '';
    if (hasBody && !JSON_TYPE.test(type)) {
      return next(
        new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Request bodies must be application/json'),
      );
    }
    next();
  });
  app.use(express.json({ limit: bodyLimit(config), strict: true }));
  // Parser errors never reach Nest's filters, so they get the envelope here.
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) =>
    res.headersSent ? next(err) : sendErrorEnvelope(err, req, res),
  );
  setupSwagger(app, config);
}
