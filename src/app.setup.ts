import { INestApplication } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import express, { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger as Pino } from 'pino';
import { AppError } from './common/app-error.js';
import { sendErrorEnvelope } from './common/envelope.filter.js';
import { isCsvRoute, jsonBodyParsers } from './common/body-limits.js';
import { checkJsonBody, isJsonContentType, parserClientError } from './common/json-body.js';
import { httpLogger } from './common/logging/http-logger.js';
import { AppConfig } from './config/app-config.js';
import { httpMetrics } from './metrics/http-metrics.js';
import { requireMetricsToken } from './metrics/metrics-auth.js';
import { MetricsService } from './metrics/metrics.service.js';
import { setupSwagger } from './swagger.js';

/** The dashboard bundle (`npm run build:web`): dist/src/app.setup.js -> dist/public/. */
const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));
/** Never answered from the dashboard folder, so the API's own 404 envelope stays in charge. */
const NOT_DASHBOARD = /^\/(api|docs|metrics)([/-]|$)/;
/** Only this origin, no plugins, no framing; each page widens what it needs. */
function contentSecurityPolicy(extra: Record<string, string> = {}): string {
  const rules: Record<string, string> = {
    'default-src': "'self'",
    'script-src': "'self'",
    'style-src': "'self'",
    'img-src': "'self' data:",
    'connect-src': "'self'",
    'object-src': "'none'",
    'base-uri': "'none'",
    'form-action': "'self'",
    'frame-ancestors': "'none'",
    ...extra,
  };
  return Object.entries(rules)
    .map(([directive, sources]) => `${directive} ${sources}`)
    .join('; ');
}
/** Everything the page loads is its own bundle: no inline script or style, no other origin. */
const DASHBOARD_CSP = contentSecurityPolicy();
/**
 * Swagger UI as @nestjs/swagger serves it: its own scripts and styles from /docs/, plus an
 * inline <style> block and inline SVG / data: images.
 */
const DOCS_CSP = contentSecurityPolicy({
  'style-src': "'self' 'unsafe-inline'",
  'font-src': "'self' data:",
});

/** Serves the dashboard at `/` when it was built; tests run from src/ without it. */
function serveDashboard(app: INestApplication): void {
  if (!existsSync(PUBLIC_DIR)) return;
  const assets = express.static(PUBLIC_DIR, {
    index: 'index.html',
    setHeaders: (res) => res.setHeader('Content-Security-Policy', DASHBOARD_CSP),
  });
  app.use((req: Request, res: Response, next: NextFunction) =>
    NOT_DASHBOARD.test(req.path) ? next() : assets(req, res, next),
  );
}

/** Everything main.ts and the e2e tests share: parsers, security, errors, docs. */
export function configureApp(app: INestApplication, config: AppConfig, logger: Pino): void {
  const http = app as NestExpressApplication;
  app.use(httpLogger(logger));
  app.use(httpMetrics(app.get(MetricsService)));
  http.set('trust proxy', config.trustProxy.length ? config.trustProxy : false);
  http.disable('x-powered-by');
  // Answers are no-store (below), so no client ever revalidates one: hashing every body for
  // an ETag was pure cost. The dashboard's files keep theirs (express.static sets its own).
  http.set('etag', false);
  app.use(helmet({ contentSecurityPolicy: false }));
  // Answers carry tokens and personal data: no browser or proxy may keep a copy, errors included.
  app.use('/api', (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.use('/docs', (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Content-Security-Policy', DOCS_CSP);
    next();
  });
  if (config.metricsToken) app.use('/metrics', requireMetricsToken(config.metricsToken));
  if (config.corsOrigins.length) app.enableCors({ origin: config.corsOrigins });
  if (config.queueRole === 'worker') app.use(workerOnly);
  serveDashboard(app);
  // A body in another format is refused outright rather than silently read as empty.
  app.use('/api', (req: Request, _res: Response, next: NextFunction) => {
    const hasBody =
      Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'];
    const type = req.headers['content-type'] ?? '';
    // CSV uploads stream their body themselves and check its type after authentication.
    if (isCsvRoute(req.method, req.baseUrl + req.path)) return next();
    if (hasBody && !isJsonContentType(type)) {
      return next(
        new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Request bodies must be application/json'),
      );
    }
    next();
  });
  app.use(jsonBodyParsers(app, config));
  app.use(checkJsonBody);
  // Parser errors never reach Nest's filters, so they get the envelope here.
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) =>
    res.headersSent ? next(err) : sendErrorEnvelope(parserClientError(err), req, res),
  );
  if (config.queueRole !== 'worker') setupSwagger(app, config);
}

const WORKER_ROUTES = /^\/(api\/health(\/live|\/ready)?|metrics)\/?$/;

/** A worker process (QUEUE_ROLE=worker) sends; over HTTP it answers only probes and metrics. */
function workerOnly(req: Request, res: Response, next: NextFunction): void {
  if (WORKER_ROUTES.test(req.path)) return next();
  sendErrorEnvelope(
    new AppError(
      404,
      'NOT_FOUND',
      'This is a worker process: only /api/health and /metrics are served',
    ),
    req,
    res,
  );
}
