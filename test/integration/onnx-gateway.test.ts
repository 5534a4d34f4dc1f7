import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManifestError } from '../../src/errors.js';
import { get, post, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { toyOnnxModel } from '../helpers/toy-onnx.js';

describe('a bare .onnx file with a minimal manifest', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ model: toyOnnxModel() });
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
  });

  it('validates requests against the derived fields and documents them', async () => {
    const bad = await post(gw.http, '/predict', { features: [1, 2], tag: 'a' });
    expect(bad.status).toBe(400);
    const openapi = JSON.parse((await get(gw.http, '/openapi.json')).text) as { components?: unknown };
    expect(JSON.stringify(openapi)).toContain('"tag_out"');
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
