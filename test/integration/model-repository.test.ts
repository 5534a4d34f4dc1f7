import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { venvPython } from '../../src/backends/python/prepare-python-model.js';
import type { Result } from '../../src/model/row-schema.js';
import { readAdult } from '../helpers/adult.js';
import { readDigits } from '../helpers/digits.js';
import { errorOf, get, post, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { DIGITS_MODEL_DIR, ROOT } from '../helpers/paths.js';
import { referencePredictions } from '../helpers/reference.js';

const digits = readDigits(200);

type Digit = { digit: number; probability: number };

/** Same digits; probabilities equal up to float rounding (a matrix product's last bits depend on the batch it ran in). */
function expectSameDigits(actual: readonly Digit[], expected: readonly Result[]): void {
  expect(actual.map((a) => a.digit)).toEqual(expected.map((e) => e.digit));
  actual.forEach((a, i) => expect(a.probability).toBeCloseTo(expected[i]!.probability as number, 12));
}
const adult = readAdult().slice(0, 20).map((r) => r.row);

describe('the example repository (models/): census-income and digits in one gateway, each in its own virtualenv', () => {
  let gw: TestGateway;
  let expectedDigits: Result[];

  beforeAll(async () => {
    [gw, expectedDigits] = await Promise.all([
      // As `npm start` serves it: every model in models/, each with the Python of its own .venv.
      startTestGateway({ modelRepository: path.join(ROOT, 'models'), workerPython: undefined, workers: 1 }),
      referencePredictions(venvPython(DIGITS_MODEL_DIR), DIGITS_MODEL_DIR, digits.map((d) => d.row)),
    ]);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('serves census-income (the default model, first in sorted order) at /predict and at /models/census-income/predict alike', async () => {
    const byDefault = await post(gw.http, '/predict', { instances: adult });
    const byName = await post(gw.http, '/models/census-income/predict', { instances: adult });
    expect(byDefault.status).toBe(200);
    expect(byName.body).toEqual(byDefault.body);
    expect(byName.headers['x-model-version']).toBe('1.0.0');
  });

  it('serves census-income-onnx beside it, with the same fields and the same answers', async () => {
    const python = await post(gw.http, '/models/census-income/predict', { instances: adult });
    const onnx = await post(gw.http, '/models/census-income-onnx/predict', { instances: adult });
    expect(onnx.status).toBe(200);
    const expected = (python.body as { predictions: { income: string; probability: number }[] }).predictions;
    const actual = (onnx.body as { predictions: { income: string; probability: number }[] }).predictions;
    expect(actual.map((p) => p.income)).toEqual(expected.map((p) => p.income));
    actual.forEach((p, i) => expect(Math.abs(p.probability - expected[i]!.probability)).toBeLessThanOrEqual(1e-5));
  });

  it('predicts digits from 64 pixels, each row exactly as the handler does in-process, and mostly right', async () => {
    const single = await Promise.all(digits.slice(0, 50).map((d) => post(gw.http, '/models/digits/predict', d.row)));
    expect(single.map((r) => r.status)).toEqual(single.map(() => 200));
    expectSameDigits(single.map((r) => r.body as Digit), expectedDigits.slice(0, 50));
    const batch = await post(gw.http, '/models/digits/predict', { instances: digits.map((d) => d.row) });
    const predictions = (batch.body as { predictions: Digit[] }).predictions;
    expectSameDigits(predictions, expectedDigits);
    const right = predictions.filter((p, i) => p.digit === digits[i]!.label).length;
    expect(right / digits.length).toBeGreaterThan(0.95);
  });

  it("validates each model's rows with its own schema, naming the field", async () => {
    const pixels = [...digits[0]!.row.pixels];
    pixels[3] = 17;
    const bad = await post(gw.http, '/models/digits/predict', { pixels });
    expect(bad.status).toBe(400);
    expect(errorOf(bad.body).issues).toEqual([{ field: 'pixels[3]', reason: 'must be <= 16' }]);
    const short = await post(gw.http, '/models/digits/predict', { pixels: digits[0]!.row.pixels.slice(0, 63) });
    expect(errorOf(short.body).issues).toEqual([{ field: 'pixels', reason: 'must hold at least 64 items' }]);
    // A census row is not a digits row.
    const wrongModel = await post(gw.http, '/models/digits/predict', adult[0]);
    expect(wrongModel.status).toBe(400);
    expect(errorOf(wrongModel.body).issues).toContainEqual({ field: 'pixels', reason: 'is required' });
  });

  it('answers 404 GW_ERR_MODEL_NOT_FOUND for a model it does not serve', async () => {
    const response = await post(gw.http, '/models/nope/predict', { x: 1 });
    expect(response.status).toBe(404);
    expect(errorOf(response.body)).toMatchObject({ code: 'GW_ERR_MODEL_NOT_FOUND', model: 'nope' });
  });

  it('reports every model in /health/ready and labels the metrics by model', async () => {
    const ready = JSON.parse((await get(gw.http, '/health/ready')).text) as { ready: boolean; models: Record<string, { ready: boolean }> };
    expect(ready.ready).toBe(true);
    expect(Object.keys(ready.models)).toEqual(['census-income', 'census-income-onnx', 'digits']);
    expect(Object.values(ready.models).every((m) => m.ready)).toBe(true);
    const metrics = (await get(gw.http, '/metrics')).text;
    // One ONNX thread's session, measured as it loaded.
    expect(metrics).toMatch(/^gateway_worker_memory_bytes\{model="census-income-onnx"\} [1-9]\d{6,}$/m);
    for (const model of ['census-income', 'digits']) {
      expect(metrics).toMatch(new RegExp(`^gateway_workers_ready\\{model="${model}"\\} 1$`, 'm'));
      expect(metrics).toMatch(new RegExp(`^gateway_rows_total\\{model="${model}",source="http"\\} [1-9]`, 'm'));
    }
  });

  it('documents each model under its own path, tag and operationId, with its named schemas', async () => {
    const doc = JSON.parse((await get(gw.http, '/openapi.json')).text) as {
      paths: Record<string, { post?: { operationId: string; tags: string[]; requestBody: unknown } }>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.paths['/models/digits/predict']?.post).toMatchObject({ operationId: 'predictDigits', tags: ['digits'] });
    expect(doc.paths['/models/census-income/predict']?.post).toMatchObject({ operationId: 'predictCensusIncome', tags: ['census-income'] });
    expect(JSON.stringify(doc.paths['/models/digits/predict']?.post?.requestBody)).toContain('#/components/schemas/DigitsRow');
    expect(doc.components.schemas.DigitsRow).toMatchObject({ properties: { pixels: { type: 'array', minItems: 64, maxItems: 64, items: { type: 'number', minimum: 0, maximum: 16 } } } });
  });
});
