/**
 * Scenario: what the Open Inference Protocol front door costs per request
 * against `/predict`, for the same census rows, with the model taken out: both
 * routes run in one Fastify server (the gateway's JSON-only parser at the
 * root, the V2 scope beside it) over an engine that answers at once, driven
 * in-process with `inject`. So the figures are parsing, validation, tensor
 * decoding and encoding only; a real request adds the batch's model time to
 * both. Run: `npx tsx bench/v2-front-door.ts [--sizes 1,64,1024] [--time-ms 1000] [--rounds 5]`
 * (figures: medians of alternating rounds).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Engine, Prediction, SubmitOptions } from '../src/engine/engine.js';
import { errorHandler } from '../src/http/error-handler.js';
import { acceptOnlyJson } from '../src/http/json-body.js';
import { predictSchemas } from '../src/http/predict-schemas.js';
import { requestId } from '../src/http/request-id.js';
import { predictRoute } from '../src/http/routes/predict.js';
import { loadModelSpec } from '../src/model/manifest.js';
import type { Result, Row } from '../src/model/row-schema.js';
import { encodeBinary } from '../src/v2/binary-tensor.js';
import { tensorSpecs } from '../src/v2/tensor-spec.js';
import { registerV2Routes } from '../src/v2/v2-routes.js';
import type { V2Model } from '../src/v2/v2-models.js';
import { readAdult } from '../test/helpers/adult.js';
import { CENSUS_MODEL_DIR } from '../test/helpers/paths.js';
import { formatTable, machine, writeResult } from './lib/results.js';
import { Settings } from './lib/settings.js';
import { gatewayV2Body } from './lib/v2-body.js';

const settings = new Settings(['sizes', 'time-ms', 'rounds']);
const sizes = settings.intList('sizes', 'BENCH_SIZES', [1, 64, 1024]);
const timeMs = settings.int('time-ms', 'BENCH_TIME_MS', 1000);
const rounds = settings.int('rounds', 'BENCH_ROUNDS', 5);
const BODY_LIMIT = 8 * 1024 * 1024;

const spec = await loadModelSpec(CENSUS_MODEL_DIR);
const answer = (rows: readonly Row[]): Result[] => rows.map((row) => ({ probability: 0.75, income: (row.age as number) > 40 ? '>50K' : '<=50K' }));
const predict = async (rows: readonly Row[]): Promise<Prediction> => ({ results: answer(rows), modelVersion: spec.manifest.version });

async function buildApp(): Promise<FastifyInstance> {
  const app = Fastify({ genReqId: requestId, bodyLimit: BODY_LIMIT, logger: false });
  acceptOnlyJson(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler(BODY_LIMIT));
  const engine = { predict: (rows: readonly Row[], _options: SubmitOptions) => predict(rows) } as unknown as Engine;
  predictRoute(app, {
    engine,
    schemas: predictSchemas(spec, { maxRequestRows: 4096, maxTimeoutMs: 300_000 }),
    defaultTimeoutMs: 30_000,
    modelName: spec.manifest.name,
    modelVersion: spec.manifest.version,
  });
  const model: V2Model = { name: spec.manifest.name, version: spec.manifest.version, input: spec.manifest.input, output: spec.manifest.output, ready: true, predict: (rows) => predict(rows) };
  await registerV2Routes(app, {
    models: { get: (name) => (name === model.name ? model : undefined), list: () => [model], live: () => true, ready: () => true },
    serverName: 'inference-gateway',
    serverVersion: '0',
    defaultTimeoutMs: 30_000,
    maxTimeoutMs: 300_000,
    maxRequestRows: 4096,
  });
  await app.ready();
  return app;
}

/** The census rows as a binary tensor extension body, every input binary, every output asked for in binary. */
function binaryV2Body(rows: readonly Row[]): { payload: Buffer; headers: Record<string, string> } {
  const tensors: Buffer[] = [];
  const inputs = tensorSpecs(spec.manifest.input).map(({ name, datatype }) => {
    const bytes = encodeBinary(rows.map((row) => row[name]), datatype);
    tensors.push(bytes);
    return { name, datatype, shape: [rows.length], parameters: { binary_data_size: bytes.length } };
  });
  const json = Buffer.from(JSON.stringify({ parameters: { binary_data_output: true }, inputs }));
  return { payload: Buffer.concat([json, ...tensors]), headers: { 'inference-header-content-length': String(json.length) } };
}

interface Measure {
  readonly n: number;
  readonly path: 'predict' | 'v2 json' | 'v2 binary';
  readonly requestBytes: number;
  readonly usPerRequest: number;
}

/** µs per call of `run`, called back to back for about `budgetMs`. */
async function time(run: () => Promise<void>, budgetMs: number): Promise<number> {
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < budgetMs) {
    await run();
    calls++;
  }
  return ((performance.now() - start) * 1000) / calls;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const app = await buildApp();
const allRows: Row[] = readAdult().slice(0, Math.max(...sizes)).map(({ row }) => row);
type Case = [Measure['path'], number, number, () => Promise<void>];
const cases: Case[] = sizes.flatMap((n): Case[] => {
  const rows = allRows.slice(0, n);
  const predictBody = Buffer.from(JSON.stringify(n === 1 ? rows[0] : { instances: rows }));
  const v2Json = gatewayV2Body(rows);
  const v2Binary = binaryV2Body(rows);
  return [
    ['predict', n, predictBody.length, () => expectOk(app.inject({ method: 'POST', url: '/predict', headers: { 'content-type': 'application/json' }, payload: predictBody }))],
    ['v2 json', n, v2Json.length, () => expectOk(app.inject({ method: 'POST', url: '/v2/models/census-income/infer', headers: { 'content-type': 'application/json' }, payload: v2Json }))],
    ['v2 binary', n, v2Binary.payload.length, () => expectOk(app.inject({ method: 'POST', url: '/v2/models/census-income/infer', headers: v2Binary.headers, payload: v2Binary.payload }))],
  ];
});
// One warm-up pass over every case, then rounds that alternate the cases, so that JIT warm-up
// and a busy neighbour weigh on all of them alike; each figure is the median of its rounds.
for (const [, , , run] of cases) await time(run, timeMs / 4);
const samples = cases.map(() => [] as number[]);
for (let round = 0; round < rounds; round++) {
  for (const [i, [, , , run]] of cases.entries()) samples[i]!.push(await time(run, timeMs));
}
const measures: Measure[] = cases.map(([path, n, requestBytes], i) => ({ n, path, requestBytes, usPerRequest: Math.round(median(samples[i]!) * 10) / 10 }));
await app.close();

async function expectOk(response: Promise<{ statusCode: number; body: string }>): Promise<void> {
  const { statusCode, body } = await response;
  if (statusCode !== 200) throw new Error(`status ${statusCode}: ${body.slice(0, 300)}`);
}

const table = formatTable(
  ['rows', 'predict µs', 'v2 json µs', 'v2 binary µs', 'v2 json / predict', 'v2 binary / predict', 'bytes predict / json / binary'],
  sizes.map((n) => {
    const [p, j, b] = (['predict', 'v2 json', 'v2 binary'] as const).map((path) => measures.find((m) => m.n === n && m.path === path)!);
    return [n, p!.usPerRequest, j!.usPerRequest, b!.usPerRequest, `×${(j!.usPerRequest / p!.usPerRequest).toFixed(2)}`, `×${(b!.usPerRequest / p!.usPerRequest).toFixed(2)}`, `${p!.requestBytes} / ${j!.requestBytes} / ${b!.requestBytes}`];
  }),
);
const output = { scenario: 'v2-front-door', date: new Date().toISOString(), machine: machine(), settings: { sizes, timeMs, rounds }, measures };
const file = writeResult('v2-front-door', output);
process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
process.stderr.write(`${table}\n(results: ${file})\n`);
