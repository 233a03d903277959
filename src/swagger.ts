import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppConfig } from './config/app-config.js';

const DESCRIPTION = `SMS sending service. Jobs are stored durably in PostgreSQL and sent through the
upstream gateway at a cluster-wide token-bucket rate.

Every JSON answer under \`/api/\` is an envelope: \`{"success": true, "data": …}\` or
\`{"success": false, "error": {"code", "message", "details?"}}\` (health probes answer bare
objects). Authenticate with \`Authorization: Bearer <token>\`: an API token (\`smsp_…\`, shown
once) or a session token from \`POST /api/auth/login\`. Every answer carries \`X-Request-Id\`.

Error codes: UNAUTHORIZED 401, FORBIDDEN 403, NOT_FOUND 404, VALIDATION_ERROR / MISSING_FIELDS /
INVALID_PHONE_FORMAT / CONTENT_TOO_LONG 400, PAYLOAD_TOO_LARGE 413, UNSUPPORTED_MEDIA_TYPE 415,
CONFLICT 409, RATE_LIMITED 429, SERVICE_UNAVAILABLE 503, INTERNAL_ERROR 500.`;

export function buildOpenApiDocument(app: INestApplication, config: AppConfig) {
  const builder = new DocumentBuilder()
    .setTitle('smspanel API')
    .setDescription(DESCRIPTION)
    .setVersion(config.version)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API token or session token' })
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'SMS_RECEIPT_SECRET (the gateway only)' },
      'receipt-secret',
    )
    .build();
  return SwaggerModule.createDocument(app, builder);
}

export function setupSwagger(app: INestApplication, config: AppConfig): void {
  const document = buildOpenApiDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
