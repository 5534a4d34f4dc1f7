import openapiTS, { astToString } from 'openapi-typescript';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { ERROR_CODE_LIST } from '../../../src/errors.js';
import { openApiDocument } from '../../../src/http/openapi-document.js';
import { ROOT } from '../../helpers/paths.js';

interface Operation {
  operationId?: string;
  tags?: string[];
  responses: Record<string, { description?: string; headers?: Record<string, unknown>; content?: Record<string, { schema: unknown }> }>;
}
interface Document {
  tags?: { name: string; description: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Record<string, unknown>> };
}

// What `npm run openapi` writes: the example repository, no model started.
const config = await loadConfig({ modelRepository: path.join(ROOT, 'models'), prepare: false });
const doc = (await openApiDocument(config, pino({ level: 'silent' }))) as unknown as Document;
const operations = Object.entries(doc.paths).flatMap(([url, methods]) => Object.entries(methods).map(([method, operation]) => ({ url, method, operation })));

describe('the OpenAPI document (built without a running model)', () => {
  it('names each model its own row, prediction and batch schemas, and one shared error schema', () => {
    const names = Object.keys(doc.components.schemas).sort();
    for (const model of ['CensusIncome', 'Digits']) {
      for (const suffix of ['Row', 'Prediction', 'Instances', 'Predictions']) expect(names).toContain(`${model}${suffix}`);
    }
    expect(names).toContain('ErrorResponse');
    expect(names).toContain('GatewayError');
    // The manifest's example row and field descriptions come along (Swagger UI shows them).
    const census = config.models.find((m) => m.spec.manifest.name === 'census-income')!.spec.manifest;
    expect(doc.components.schemas.CensusIncomeRow).toMatchObject({ examples: [census.example], properties: { age: { description: 'Age in years' } } });
    // No twin names for one schema (a generated client would get two identical classes).
    expect(names.filter((name) => name.endsWith('Input'))).toEqual([]);
  });

  it('defines every component a $ref points at (a client generator must resolve them all)', () => {
    const refs = new Set<string>();
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value !== null && typeof value === 'object') {
        for (const [key, child] of Object.entries(value)) {
          if (key === '$ref' && typeof child === 'string') refs.add(child);
          else walk(child);
        }
      }
    };
    walk(doc);
    const prefix = '#/components/schemas/';
    expect([...refs].filter((ref) => !ref.startsWith(prefix))).toEqual([]);
    expect([...refs].map((ref) => ref.slice(prefix.length)).filter((name) => !(name in doc.components.schemas))).toEqual([]);
    // The Open Inference Protocol's bodies are named too, as in KServe's own document.
    for (const name of ['V2InferRequest', 'V2InferResponse', 'V2ModelMetadata', 'V2Error']) expect(Object.keys(doc.components.schemas)).toContain(name);
  });

  it('is what the README says it is for: openapi-typescript makes one named type per model and per V2 body', async () => {
    // The README's `npx openapi-typescript openapi.json -o gateway.d.ts`; it stops at the first $ref it cannot resolve.
    const types = astToString(await openapiTS(JSON.parse(JSON.stringify(doc)) as Parameters<typeof openapiTS>[0]));
    for (const name of ['CensusIncomeRow', 'CensusIncomePrediction', 'DigitsRow', 'ErrorResponse', 'V2InferRequest', 'V2InferResponse', 'V2ModelMetadata']) expect(types).toContain(`${name}: {`);
  });

  it('gives every route a unique operationId, and each model its own path and tag', () => {
    const ids = operations.map((o) => o.operation.operationId);
    expect(ids.every((id) => typeof id === 'string' && id !== '')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.paths['/models/census-income/predict']?.post).toMatchObject({ operationId: 'predictCensusIncome', tags: ['census-income'] });
    expect(doc.paths['/models/digits/predict']?.post).toMatchObject({ operationId: 'predictDigits', tags: ['digits'] });
    expect(doc.paths['/predict']?.post).toMatchObject({ operationId: 'predict', tags: ['census-income'] });
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v2/repository/index', '/v2/repository/models/{name}/load', '/v2/repository/models/{name}/unload']));
  });

  it('declares enums as enums: the income class, and the error code over every GW_ERR_* code', () => {
    const prediction = doc.components.schemas.CensusIncomePrediction as { properties: Record<string, unknown> };
    expect(prediction.properties.income).toMatchObject({ type: 'string', enum: ['<=50K', '>50K'] });
    const error = doc.components.schemas.GatewayError as { properties: { code: { enum: string[] }; issues: unknown } };
    expect(error.properties.code.enum).toEqual(ERROR_CODE_LIST);
    expect(error.properties.issues).toMatchObject({ type: 'array', items: { $ref: '#/components/schemas/FieldIssue' } });
  });

  it('declares the response headers: x-request-id everywhere, x-model-version on predictions, retry-after on 503', () => {
    for (const { operation } of operations) {
      for (const response of Object.values(operation.responses)) expect(response.headers).toHaveProperty('x-request-id');
    }
    const predict = doc.paths['/models/digits/predict']!.post!;
    expect(predict.responses['200']!.headers).toHaveProperty('x-model-version');
    expect(predict.responses['503']!.headers).toHaveProperty('retry-after');
    expect(predict.responses['404']!.content!['application/json']!.schema).toEqual({ $ref: '#/components/schemas/ErrorResponse' });
  });

  it('tags every route with a declared, described tag, and describes every response (no "Default Response")', () => {
    const declared = new Map((doc.tags ?? []).map((tag) => [tag.name, tag.description]));
    for (const { url, method, operation } of operations) {
      expect(operation.tags?.length, `${method} ${url}`).toBeGreaterThan(0);
      for (const tag of operation.tags!) expect(declared.get(tag), `tag ${tag} of ${method} ${url}`).toBeTruthy();
      for (const [status, response] of Object.entries(operation.responses)) {
        expect(response.description, `${method} ${url} ${status}`).toBeTruthy();
        expect(response.description).not.toBe('Default Response');
      }
    }
    expect(doc.paths['/health/live']!.get!.responses['200']!.description).toBe('OK');
  });
});

describe('the OpenAPI document of a gateway without an admin token', () => {
  it('declares no security scheme (Swagger UI then shows no Authorize button) and no admin route', async () => {
    const { buildServer } = await import('../../../src/http/server.js');
    const { MetricFamilies } = await import('../../../src/metrics/metric-families.js');
    const app = await buildServer({
      config,
      models: { resolve: () => { throw new Error('none'); }, index: async () => [], load: async () => { throw new Error('none'); }, unload: async () => { throw new Error('none'); }, get: () => undefined, list: () => [], live: () => true, ready: () => false },
      documented: config.models.map(({ spec }) => spec.manifest),
      metrics: new MetricFamilies().registry,
      readiness: () => ({ ready: false, reason: 'documenting', models: {}, frontDoors: {} }),
      logger: pino({ level: 'silent' }),
    });
    try {
      await app.ready();
      const open = app.swagger() as unknown as Document & { components?: { securitySchemes?: unknown } };
      expect(open.components?.securitySchemes).toBeUndefined();
      expect(Object.keys(open.paths).filter((url) => url.startsWith('/admin') || url.startsWith('/v2/repository'))).toEqual([]);
      expect((open.tags ?? []).map((tag) => tag.name)).not.toContain('admin');
    } finally {
      await app.close();
    }
  });
});
