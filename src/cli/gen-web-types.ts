/**
 * `npm run gen:web-types`: writes the dashboard's wire types (web/src/api-types.gen.ts) from
 * the OpenAPI document. Nest's preview mode registers modules and controllers without
 * creating providers, so the document is built without a database; test/swagger checks that
 * the file matches the document the running app serves.
 */
import { NestFactory } from '@nestjs/core';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AppModule } from '../app.module.js';
import { loadConfig } from '../config/load-config.js';
import { buildOpenApiDocument } from '../swagger.js';
import { webTypesSource } from './web-types.js';

/** Run from dist/src/cli/. */
const FILE = fileURLToPath(new URL('../../../web/src/api-types.gen.ts', import.meta.url));

// Defaults only, whatever this shell's environment says: the document must not depend on it.
const config = loadConfig({});
const app = await NestFactory.create(AppModule.forRoot(config), { preview: true, logger: false });
const doc = buildOpenApiDocument(app, config);
await app.close();
writeFileSync(FILE, await webTypesSource(doc, FILE));
console.log(`wrote ${FILE}`);
