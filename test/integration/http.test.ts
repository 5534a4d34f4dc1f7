import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelSpec } from '../../src/model/manifest.js';
import { errorOf, get, post, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { CENSUS_MODEL_DIR } from '../helpers/paths.js';

const spec = await loadModelSpec(CENSUS_MODEL_DIR);
const sample = spec.manifest.example!;


describe('HTTP front door (census-income, real workers)', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({ workers: 1, bodyLimitBytes: 64 * 1024, maxRequestRows: 50 });
  });
  afterAll(async () => {
    await gw?.close();
  });

  describe('POST /predict', () => {
    it('predicts the DESIGN sample, whose workclass "Self-emp" was never seen in training', async () => {
      const response = await post(gw.http, '/predict', sample);
      expect(response.status).toBe(200);
      const body = response.body as { probability: number; income: string };
      expect(Object.keys(body).sort()).toEqual(['income', 'probability']);
      expect(body.probability).toBeGreaterThanOrEqual(0);
      expect(body.probability).toBeLessThanOrEqual(1);
      expect(['<=50K', '>50K']).toContain(body.income);
    });

    it('answers {"instances": [...]} with {"predictions": [...]} in the same order', async () => {
      const rows = [sample, { ...sample, age: 52, 'capital-gain': 99_999, education: 'Doctorate', 'education-num': 16 }, sample];
      const response = await post(gw.http, '/predict', { instances: rows });
      expect(response.status).toBe(200);
      const { predictions } = response.body as { predictions: { income: string }[] };
      expect(predictions).toHaveLength(3);
      expect(predictions[0]).toEqual(predictions[2]);
      expect(predictions[1]!.income).toBe('>50K');
    });

    it('echoes the caller x-request-id, and generates one otherwise', async () => {
      const given = await post(gw.http, '/predict', sample, { 'x-request-id': 'abc-123' });
      expect(given.headers['x-request-id']).toBe('abc-123');
      const generated = await post(gw.http, '/predict', {});
      expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(errorOf(generated.body).requestId).toBe(generated.headers['x-request-id']);
    });
  });

  describe('bad input is a 4xx naming the field and the reason', () => {
    it('missing field → 400 GW_ERR_VALIDATION', async () => {
      const { age: _age, ...row } = sample;
      const response = await post(gw.http, '/predict', row);
      expect(response.status).toBe(400);
      expect(errorOf(response.body).code).toBe('GW_ERR_VALIDATION');
      expect(errorOf(response.body).issues).toEqual([{ field: 'age', reason: 'is required' }]);
      expect(errorOf(response.body).message).toBe('age: is required');
    });

    it('wrong type → 400 naming what was expected and received', async () => {
      const response = await post(gw.http, '/predict', { ...sample, age: 'twenty' });
      expect(response.status).toBe(400);
      expect(errorOf(response.body).issues).toEqual([{ field: 'age', reason: 'must be integer, got string' }]);
    });

    it('negative age → 400', async () => {
      const response = await post(gw.http, '/predict', { ...sample, age: -3 });
      expect(response.status).toBe(400);
      expect(errorOf(response.body).issues).toEqual([{ field: 'age', reason: 'must be >= 0' }]);
    });

    it('unknown field → 400 naming it', async () => {
      const response = await post(gw.http, '/predict', { ...sample, salary: 1 });
      expect(response.status).toBe(400);
      expect(errorOf(response.body).issues).toEqual([{ field: 'salary', reason: 'is not a known field' }]);
    });

    it('a bad row inside instances → 400 with its index', async () => {
      const response = await post(gw.http, '/predict', { instances: [sample, { ...sample, 'hours-per-week': 200 }] });
      expect(response.status).toBe(400);
      expect(errorOf(response.body).issues).toEqual([{ field: 'instances[1].hours-per-week', reason: 'must be <= 168' }]);
    });

    it('empty instances → 400', async () => {
      const response = await post(gw.http, '/predict', { instances: [] });
      expect(response.status).toBe(400);
      expect(errorOf(response.body).issues![0]!.field).toBe('instances');
    });

    it('non-JSON → 400 GW_ERR_INVALID_JSON', async () => {
      const response = await post(gw.http, '/predict', '{"age": 25,');
      expect(response.status).toBe(400);
      expect(errorOf(response.body).code).toBe('GW_ERR_INVALID_JSON');
    });

    it('a JSON array or scalar body → 400', async () => {
      for (const body of ['[1,2]', '42', 'null']) {
        const response = await post(gw.http, '/predict', body);
        expect(response.status, body).toBe(400);
        expect(['GW_ERR_VALIDATION', 'GW_ERR_INVALID_JSON']).toContain(errorOf(response.body).code);
      }
    });

    it('wrong content type → 415 GW_ERR_UNSUPPORTED_MEDIA_TYPE', async () => {
      const response = await post(gw.http, '/predict', 'age=25', { 'content-type': 'application/x-www-form-urlencoded' });
      expect(response.status).toBe(415);
      expect(errorOf(response.body).code).toBe('GW_ERR_UNSUPPORTED_MEDIA_TYPE');
    });

    it('oversized body → 413 GW_ERR_PAYLOAD_TOO_LARGE', async () => {
      const response = await post(gw.http, '/predict', { ...sample, workclass: 'x'.repeat(70 * 1024) });
      expect(response.status).toBe(413);
      expect(errorOf(response.body).code).toBe('GW_ERR_PAYLOAD_TOO_LARGE');
    });

    it('more rows than the per-request limit → 413 GW_ERR_TOO_MANY_ROWS', async () => {
      const response = await post(gw.http, '/predict', { instances: Array.from({ length: 51 }, () => sample) });
      expect(response.status).toBe(413);
      expect(errorOf(response.body).code).toBe('GW_ERR_TOO_MANY_ROWS');
      expect(errorOf(response.body).message).toMatch(/instances: 51 rows .* limit of 50/);
    });

    it('a bad x-request-timeout header → 400 naming the header', async () => {
      const response = await post(gw.http, '/predict', sample, { 'x-request-timeout': 'soon' });
      expect(response.status).toBe(400);
      expect(errorOf(response.body).issues![0]!.field).toBe('header x-request-timeout');
    });

    it('unknown route → 404 GW_ERR_NOT_FOUND', async () => {
      const response = await post(gw.http, '/predicts', sample);
      expect(response.status).toBe(404);
      expect(errorOf(response.body).code).toBe('GW_ERR_NOT_FOUND');
    });
  });

  describe('docs, health and metrics', () => {
    it('GET /openapi.json documents /predict with the model fields', async () => {
      const response = await get(gw.http, '/openapi.json');
      expect(response.status).toBe(200);
      const doc = JSON.parse(response.text) as { openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } };
      expect(doc.openapi).toBe('3.1.0');
      const predict = JSON.stringify(doc.paths['/predict']!.post);
      // The body and answer are the model's named components.
      expect(predict).toContain('#/components/schemas/CensusIncomeRow');
      expect(predict).toContain('#/components/schemas/CensusIncomeInstances');
      expect(predict).toContain('#/components/schemas/CensusIncomePrediction');
      expect(predict).toContain('x-request-timeout');
      const row = JSON.stringify(doc.components.schemas.CensusIncomeRow);
      for (const field of Object.keys(spec.manifest.input.properties)) expect(row).toContain(`"${field}"`);
      expect(JSON.stringify(doc.components.schemas.CensusIncomePrediction)).toContain('probability');
    });

    it('serves Swagger UI at /docs', async () => {
      const response = await gw.http.request({ method: 'GET', path: '/docs/' });
      const html = await response.body.text();
      expect(response.statusCode).toBe(200);
      expect(html).toContain('swagger');
    });

    it('GET /health/live and /health/ready', async () => {
      expect(JSON.parse((await get(gw.http, '/health/live')).text)).toEqual({ live: true });
      const ready = await get(gw.http, '/health/ready');
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.text)).toEqual({
        ready: true,
        models: { 'census-income': { ready: true, workersReady: 1, workers: 1, version: '1.0.0' } },
        frontDoors: { http: { ready: true } },
      });
    });

    it('GET /metrics exports latency, queue time, batch rows, queue depth and worker restarts', async () => {
      await post(gw.http, '/predict', sample);
      const response = await get(gw.http, '/metrics');
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
      for (const series of [
        'gateway_request_duration_seconds_bucket{le="0.005",model="census-income",source="http",code="ok"}',
        'gateway_queue_wait_seconds_count{model="census-income"}',
        'gateway_batch_rows_bucket{le="1",model="census-income"}',
        'gateway_queue_depth_rows{model="census-income"} 0',
        'gateway_worker_restarts_total{model="census-income"} 0',
        '# TYPE gateway_shed_requests_total counter',
      ]) {
        expect(response.text).toContain(series);
      }
    });
  });
});
