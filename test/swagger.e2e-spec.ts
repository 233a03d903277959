import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type {
  OpenAPIObject,
  OperationObject,
  PathItemObject,
  ReferenceObject,
  RequestBodyObject,
  ResponseObject,
} from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { webTypesSource } from '../src/cli/web-types.js';
import { createTestApp, TestApp } from './support/test-app.js';

const WEB_TYPES = fileURLToPath(new URL('../web/src/api-types.gen.ts', import.meta.url));

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface Operation {
  label: string;
  op: OperationObject;
}

function operations(doc: OpenAPIObject): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, item]: [string, PathItemObject]) =>
    METHODS.filter((m) => item[m]).map((m) => ({
      label: `${m.toUpperCase()} ${path}`,
      op: item[m] as OperationObject,
    })),
  );
}

const hasSchema = (r: ResponseObject | RequestBodyObject | ReferenceObject | undefined) =>
  !!r &&
  ('$ref' in r ||
    Object.values((r as ResponseObject).content ?? {}).some((media) => !!media.schema));

describe('OpenAPI document and Swagger UI (e2e)', () => {
  let t: TestApp;
  let doc: OpenAPIObject;
  let ops: Operation[];

  beforeAll(async () => {
    t = await createTestApp({}, 'swagger');
    doc = (await t.http().get('/docs-json').expect(200)).body;
    ops = operations(doc);
  });
  afterAll(() => t.close());

  it('serves the Swagger UI page at /docs', async () => {
    const res = await t.http().get('/docs').redirects(1);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text.toLowerCase()).toContain('swagger');
  });

  it('serves an OpenAPI 3 document with the bearer scheme at /docs-json', async () => {
    const res = await t.http().get('/docs-json').expect(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: t.config.version });
    expect(Object.values(doc.components?.securitySchemes ?? {})).toContainEqual(
      expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    );
    expect(ops.length).toBeGreaterThanOrEqual(8);
  });

  it('gives every operation a summary', () => {
    const missing = ops.filter(({ op }) => !op.summary?.trim()).map((o) => o.label);
    expect(missing).toEqual([]);
  });

  it('documents a success answer with a schema for every operation (204: no body)', () => {
    const missing = ops
      .filter(({ op }) => {
        const success = Object.entries(op.responses ?? {}).filter(([code]) => /^2/.test(code));
        return !success.some(
          ([code, r]) => code === '204' || hasSchema(r as ResponseObject | ReferenceObject),
        );
      })
      .map((o) => o.label);
    expect(missing).toEqual([]);
  });

  it('documents 401 on every protected operation', () => {
    const isProtected = (op: OperationObject) => (op.security ?? doc.security ?? []).length > 0;
    const protectedOps = ops.filter(({ op }) => isProtected(op));
    expect(protectedOps.length).toBeGreaterThan(0);
    const missing = protectedOps.filter(({ op }) => !op.responses?.['401']).map((o) => o.label);
    expect(missing).toEqual([]);
  });

  it('documents every error answer with the error envelope', () => {
    const missing = ops.flatMap(({ label, op }) =>
      Object.entries(op.responses ?? {})
        .filter(
          ([code]) => /^[45]/.test(code) && !(label.includes('/api/health') && code === '503'),
        )
        .filter(([, r]) => !hasSchema(r as ResponseObject | ReferenceObject))
        .map(([code]) => `${label} ${code}`),
    );
    expect(missing).toEqual([]);
  });

  it('gives every request body a schema', () => {
    const withBody = ops.filter(({ op }) => op.requestBody);
    expect(withBody.map((o) => o.label)).toEqual(
      expect.arrayContaining(['POST /api/auth/login', 'POST /api/admin/users']),
    );
    const missing = withBody
      .filter(({ op }) => !hasSchema(op.requestBody as RequestBodyObject | ReferenceObject))
      .map((o) => o.label);
    expect(missing).toEqual([]);
  });

  // The dashboard's wire types are generated from this document; a DTO change without
  // `npm run gen:web-types` would leave the dashboard compiled against a stale API.
  it('matches the dashboard wire types in web/src/api-types.gen.ts', async () => {
    const expected = await webTypesSource(doc, WEB_TYPES);
    const committed = readFileSync(WEB_TYPES, 'utf8');
    if (committed !== expected) {
      const [a, b] = [committed.split('\n'), expected.split('\n')];
      let line = 0;
      while (a[line] === b[line]) line++;
      throw new Error(
        'web/src/api-types.gen.ts differs from the OpenAPI document: run `npm run gen:web-types`' +
          `\n  line ${line + 1} is:        ${a[line]}\n  the document gives: ${b[line]}`,
      );
    }
  });
});
