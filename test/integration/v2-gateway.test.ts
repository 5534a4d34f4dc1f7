import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Result, Row } from '../../src/model/row-schema.js';
import { readAdult } from '../helpers/adult.js';
import { readDigits } from '../helpers/digits.js';
import { get, post, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { ROOT } from '../helpers/paths.js';
import { runV2Client } from '../helpers/v2-client.js';

/**
 * The Open Inference Protocol on the real gateway: the example repository
 * (census-income and digits, real Python workers), the real tritonclient,
 * and the same answers as our own /models/{name}/predict.
 */
let gw: TestGateway;
let hostPort: string;
const censusRows: Row[] = readAdult('adult.test').slice(0, 8).map(({ row }) => row);
let digitRows: Row[];

async function predictions(model: string, rows: readonly Row[]): Promise<Result[]> {
  const answer = await post(gw.http, `/models/${model}/predict`, { instances: rows });
  expect(answer.status).toBe(200);
  return (answer.body as { predictions: Result[] }).predictions;
}

function columns(results: readonly Result[]): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const result of results) for (const [name, value] of Object.entries(result)) (out[name] ??= []).push(value);
  return out;
}

/** Probabilities cross a float32 or float64 tensor: equal up to rounding. */
function expectSameColumns(actual: Record<string, unknown[]>, expected: Record<string, unknown[]>): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [name, values] of Object.entries(expected)) {
    values.forEach((value, i) => {
      if (typeof value === 'number' && !Number.isInteger(value)) expect(actual[name]![i] as number).toBeCloseTo(value, 6);
      else expect(actual[name]![i]).toEqual(value);
    });
  }
}

beforeAll(async () => {
  digitRows = readDigits(6).map((d) => d.row);
  gw = await startTestGateway({ modelRepository: path.join(ROOT, 'models'), workers: 1 });
  hostPort = new URL(gw.url).host;
});
afterAll(async () => {
  await gw?.close();
});

describe('tritonclient.http against the gateway serving the example repository', () => {
  it.each([
    ['census-income', () => censusRows],
    ['digits', () => digitRows],
  ])('%s: health, metadata, and infer with JSON and binary tensors equal /models/{name}/predict', async (model, rows) => {
    const expected = columns(await predictions(model, rows()));
    const report = await runV2Client(hostPort, model, rows());
    expect([report.live, report.ready, report.model_ready]).toEqual([true, true, true]);
    expect(report.metadata.name).toBe(model);
    expect(report.metadata.platform).toBe('python');
    expectSameColumns(report.json, expected);
    expectSameColumns(report.binary, expected);
    expect(report.error?.status).toBe('400');
  });
});

describe('V2 requests through the same engine', () => {
  it('answers MLServer\'s pandas-coded request for census-income with /predict\'s predictions, counted as source="v2"', async () => {
    const body = {
      parameters: { content_type: 'pd' },
      inputs: Object.keys(censusRows[0]!).map((name) => {
        const data = censusRows.map((row) => row[name]);
        return typeof data[0] === 'string'
          ? { name, datatype: 'BYTES', parameters: { content_type: 'str' }, shape: [censusRows.length], data }
          : { name, datatype: 'INT32', shape: [censusRows.length], data };
      }),
    };
    const answer = await post(gw.http, '/v2/models/census-income/infer', body);
    expect(answer.status).toBe(200);
    const outputs = (answer.body as { outputs: { name: string; data: unknown[] }[] }).outputs;
    expectSameColumns(Object.fromEntries(outputs.map((o) => [o.name, o.data])), columns(await predictions('census-income', censusRows)));
    expect((await get(gw.http, '/metrics')).text).toMatch(/^gateway_rows_total\{model="census-income",source="v2"\} [1-9]/m);
  });

  it('answers a raw binary request (Inference-Header-Content-Length: 0, the body digits\' float32 pixels) as /predict does', async () => {
    const response = await gw.http.request({
      method: 'POST',
      path: '/v2/models/digits/infer',
      headers: { 'inference-header-content-length': '0', 'content-type': 'application/octet-stream' },
      body: Buffer.from(new Float32Array(digitRows.flatMap((row) => row.pixels as number[])).buffer),
    });
    expect(response.statusCode).toBe(200);
    const { outputs } = (await response.body.json()) as { outputs: { name: string; shape: number[]; data: unknown[] }[] };
    expect(outputs.find((o) => o.name === 'digit')?.shape).toEqual([digitRows.length]);
    expectSameColumns(Object.fromEntries(outputs.map((o) => [o.name, o.data])), columns(await predictions('digits', digitRows)));
  });

  it('refuses bad tensors with 400 and the spec\'s error body naming the input', async () => {
    const bad = [
      { inputs: [{ name: 'pixels', datatype: 'BYTES', shape: [1, 64], data: Array.from({ length: 64 }, () => 'x') }] },
      { inputs: [{ name: 'pixels', datatype: 'FP32', shape: [2, 64], data: Array.from({ length: 64 }, () => 1) }] },
      { inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 64], data: Array.from({ length: 64 }, () => 1) }, { name: 'colour', datatype: 'FP32', shape: [1], data: [1] }] },
      { inputs: [] },
    ];
    for (const body of bad) {
      const answer = await post(gw.http, '/v2/models/digits/infer', body);
      expect(answer.status).toBe(400);
      expect(Object.keys(answer.body as object)).toEqual(['error']);
      if (body.inputs.length > 0) expect((answer.body as { error: string }).error).toMatch(/pixels|colour/);
    }
    const notJson = await post(gw.http, '/v2/models/digits/infer', '{"inputs": [');
    expect(notJson.status).toBe(400);
    const unknown = await post(gw.http, '/v2/models/no-such-model/infer', { inputs: [] });
    expect(unknown.status).toBe(404);
    expect(Object.keys(unknown.body as object)).toEqual(['error']);
  });
});
