import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManifestError, WorkerStartError } from '../../src/errors.js';
import { get, post, startTestGateway, TOY_MODEL_DIR, type TestGateway } from '../helpers/gateway.js';
import { ROOT } from '../helpers/paths.js';
import { TestRepository } from '../helpers/repository.js';
import { toyOnnxModel } from '../helpers/toy-onnx.js';

const TOKEN = 'test-admin-token-onnx-7d2e';

describe('a bare .onnx file with a minimal manifest', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ model: toyOnnxModel(), adminToken: TOKEN });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('is served with the fields derived from its graph', async () => {
    const one = await post(gw.http, '/predict', { features: [1, 2, 3.5], tag: 'a' });
    expect(one.status).toBe(200);
    expect(one.body).toEqual({ total: 6.5, doubled: [2, 4, 7], tag_out: 'a' });
    const many = await post(gw.http, '/predict', { instances: [{ features: [0, 0, 1], tag: 'x' }, { features: [1, 1, 1], tag: 'y' }] });
    expect(many.body).toEqual({ predictions: [{ total: 1, doubled: [0, 0, 2], tag_out: 'x' }, { total: 3, doubled: [2, 2, 2], tag_out: 'y' }] });
    // The V2 metadata names the platform as Triton does for an ONNX Runtime model.
    expect(JSON.parse((await get(gw.http, '/v2/models/toy-onnx')).text)).toMatchObject({ name: 'toy-onnx', platform: 'onnxruntime_onnx' });
  });

  it('validates requests against the derived fields and documents them', async () => {
    const bad = await post(gw.http, '/predict', { features: [1, 2], tag: 'a' });
    expect(bad.status).toBe(400);
    const openapi = JSON.parse((await get(gw.http, '/openapi.json')).text) as { components?: unknown };
    expect(JSON.stringify(openapi)).toContain('"tag_out"');
  });

  it('grows and shrinks its threads with PATCH /admin/config, as Python workers', async () => {
    const patch = async (workers: number): Promise<number> => {
      const response = await gw.http.request({ method: 'PATCH', path: '/admin/config', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ workers }) });
      await response.body.text();
      return response.statusCode;
    };
    const ready = async (): Promise<unknown> => (JSON.parse((await get(gw.http, '/health/ready')).text) as { models: Record<string, unknown> }).models['toy-onnx'];
    expect(await patch(3)).toBe(200);
    await vi.waitFor(async () => expect(await ready()).toMatchObject({ workersReady: 3, workers: 3 }), { timeout: 30_000, interval: 50 });
    expect(await patch(1)).toBe(200);
    await vi.waitFor(async () => expect(await ready()).toMatchObject({ workersReady: 1, workers: 1 }), { timeout: 30_000, interval: 50 });
    expect((await post(gw.http, '/predict', { features: [1, 1, 1], tag: 'after' })).body).toMatchObject({ tag_out: 'after' });
  });
});

describe('an ONNX model made by a Python model\'s environment (trainWith)', () => {
  it('is made at start-up when its artifact is missing, with that environment\'s Python, then served', async () => {
    const repository = new TestRepository({ toy: { from: TOY_MODEL_DIR, copy: false } });
    const dir = path.join(repository.root, 'made-onnx');
    const make = path.join(ROOT, 'test', 'helpers', 'make_toy_onnx.py');
    // Fields derived from a graph need the graph: one made at start-up declares them.
    const input = { type: 'object', properties: { features: { type: 'array', items: { type: 'number' }, minItems: 3, maxItems: 3 }, tag: { type: 'string' } }, required: ['features', 'tag'] };
    const output = { type: 'object', properties: { total: { type: 'number' }, doubled: { type: 'array', items: { type: 'number' } }, tag_out: { type: 'string' } }, required: ['total', 'doubled', 'tag_out'] };
    repository.add('made-onnx', { from: toyOnnxModel(), manifest: { artifact: 'made.onnx', train: 'make.py', trainWith: '../toy', input, output } });
    // The script runs in the toy model's environment (the census virtualenv here), from that model's directory.
    writeFileSync(path.join(dir, 'make.py'), `import runpy, sys\nsys.argv = ["make", ${JSON.stringify(path.join(dir, 'made.onnx'))}]\nrunpy.run_path(${JSON.stringify(make)}, run_name="__main__")\n`);
    expect(existsSync(path.join(dir, 'made.onnx'))).toBe(false);
    const gw = await startTestGateway({ modelRepository: repository.root, prepare: true, workers: 1 });
    try {
      expect(existsSync(path.join(dir, 'made.onnx'))).toBe(true);
      const answer = await post(gw.http, '/models/made-onnx/predict', { features: [1, 2, 3], tag: 'made' });
      expect(answer.body).toEqual({ total: 6, doubled: [2, 4, 6], tag_out: 'made' });
    } finally {
      await gw.close();
      repository.remove();
    }
  });
});

describe('a graph onnxruntime cannot load', () => {
  it('is refused at start-up with onnxruntime\'s reason', async () => {
    const error = await startTestGateway({ model: toyOnnxModel({}, { unknownOp: true }) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerStartError);
    expect((error as WorkerStartError).message).toMatch(/^worker thread 0 failed to start: .*NoSuchOperator/);
  });
});

describe('memory', () => {
  it('refuses at start-up more threads than fit in onnx.memoryLimitMb, measured on the first session', async () => {
    const repository = new TestRepository({
      'census-income': { from: path.join(ROOT, 'models', 'census-income'), copy: false },
      'census-income-onnx': { from: path.join(ROOT, 'models', 'census-income-onnx'), copy: true, manifest: { onnx: { memoryLimitMb: 600, inputs: undefined, outputs: { income: 'label', probability: { tensor: 'probabilities', take: 'max' } } } } },
    });
    // copy: the manifest's ../census-income paths resolve inside the repository, to the linked model.
    const error = await startTestGateway({ modelRepository: repository.root, workers: 2 }).catch((e: unknown) => e);
    repository.remove();
    expect(error).toBeInstanceOf(WorkerStartError);
    expect((error as WorkerStartError).message).toMatch(/2 worker threads need about \d+ MB \(\d+ MB per session, measured on the first\) but onnx.memoryLimitMb is 600 MB: use at most 1 threads/);
  });
});

describe('a bad mapping', () => {
  async function refusal(manifest: Record<string, unknown>): Promise<unknown> {
    const dir = toyOnnxModel(manifest);
    return startTestGateway({ model: dir }).then(
      async (gw) => {
        await gw.close();
        return undefined;
      },
      (error: unknown) => error,
    );
  }

  it('naming a tensor the graph lacks is refused at start-up, with the field named', async () => {
    const error = await refusal({ onnx: { inputs: { feature: 'features', tag: 'tag' } } });
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as ManifestError).message).toContain('onnx.inputs.feature: the graph has no input "feature"');
  });

  it('feeding a tensor a field of the wrong type is refused at start-up, with the field named', async () => {
    const error = await refusal({
      input: { type: 'object', properties: { features: { type: 'array', items: { type: 'string' }, minItems: 3, maxItems: 3 }, tag: { type: 'string' } }, required: ['features', 'tag'] },
      output: { type: 'object', properties: { total: { type: 'number' } }, required: ['total'] },
    });
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as ManifestError).message).toContain('onnx.inputs.features: field "features" is of type array of string but input "features" holds float32');
  });

  it('with input and output declared (nothing read while loading the manifest), the pool refuses it at start-up', async () => {
    const dir = toyOnnxModel({
      input: { type: 'object', properties: { features: { type: 'array', items: { type: 'number' }, minItems: 3, maxItems: 3 }, tag: { type: 'string' } }, required: ['features', 'tag'] },
      output: { type: 'object', properties: { total: { type: 'string' } }, required: ['total'] },
    });
    const error = await startTestGateway({ model: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as ManifestError).message).toContain('onnx.outputs.total: field "total" is of type string but output "total" holds float32');
  });
});
