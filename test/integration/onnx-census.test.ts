import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAdult } from '../helpers/adult.js';
import { post, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { CENSUS_MODEL_DIR, ROOT } from '../helpers/paths.js';
import { TestRepository } from '../helpers/repository.js';
import path from 'node:path';

interface Prediction {
  readonly income: string;
  readonly probability: number;
}

const rows = readAdult('adult.test').map((r) => r.row);

/** Every row as its own request, all in flight at once (the gateway batches them); answers in row order. */
async function singles(gw: TestGateway, model: string): Promise<Prediction[]> {
  return Promise.all(
    rows.map(async (row) => {
      const response = await post(gw.http, `/models/${model}/predict`, row, { 'x-request-timeout': '300000' });
      expect(response.status).toBe(200);
      return response.body as Prediction;
    }),
  );
}

async function batches(gw: TestGateway, model: string, size: number): Promise<Prediction[]> {
  const answers: Prediction[] = [];
  for (let i = 0; i < rows.length; i += size) {
    const response = await post(gw.http, `/models/${model}/predict`, { instances: rows.slice(i, i + size) }, { 'x-request-timeout': '300000' });
    expect(response.status).toBe(200);
    answers.push(...(response.body as { predictions: Prediction[] }).predictions);
  }
  return answers;
}

function compare(onnx: readonly Prediction[], python: readonly Prediction[]): { flips: number; maxDifference: number } {
  let flips = 0;
  let maxDifference = 0;
  onnx.forEach((answer, i) => {
    if (answer.income !== python[i]!.income) flips += 1;
    maxDifference = Math.max(maxDifference, Math.abs(answer.probability - python[i]!.probability));
  });
  return { flips, maxDifference };
}

describe('census-income in both runtimes, side by side', () => {
  let gw: TestGateway;
  const repository = new TestRepository({
    'census-income': { from: CENSUS_MODEL_DIR, copy: false },
    'census-income-onnx': { from: path.join(ROOT, 'models', 'census-income-onnx'), copy: false },
  });
  beforeAll(async () => {
    // No objective: a busy machine may slow either runtime, and every row must be answered, not shed.
    gw = await startTestGateway({ modelRepository: repository.root, maxQueueRows: 100_000, maxRequestRows: 4096 });
    for (const name of ['census-income', 'census-income-onnx']) gw.model(name).engine.tune({ latencySloMs: undefined });
  });
  afterAll(async () => {
    await gw.close();
    repository.remove();
  });

  it('answers every adult.test row as the Python runtime does, as single requests and as instances batches', async () => {
    const python = await singles(gw, 'census-income');
    const onnx = await singles(gw, 'census-income-onnx');
    expect(onnx).toHaveLength(rows.length);
    const single = compare(onnx, python);
    expect(single.flips).toBe(0);
    expect(single.maxDifference).toBeLessThanOrEqual(1e-5);
    const batched = await batches(gw, 'census-income-onnx', 1024);
    expect(batched).toEqual(onnx);
  });
});
