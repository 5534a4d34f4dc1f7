import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManifestError } from '../../../src/errors.js';
import { loadModelSpec } from '../../../src/model/manifest.js';

function modelDir(manifest: unknown): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gw-manifest-'));
  writeFileSync(path.join(dir, 'model.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
  return dir;
}

const valid = {
  name: 'toy',
  version: '1',
  handler: 'handler',
  input: { type: 'object', properties: { x: { type: 'number' } }, required: ['x'] },
  output: { type: 'object', properties: { y: { type: 'number' } } },
};

async function manifestError(manifest: unknown): Promise<ManifestError> {
  const error = await loadModelSpec(modelDir(manifest)).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ManifestError);
  return error as ManifestError;
}

describe('loadModelSpec', () => {
  it('loads a minimal manifest with defaults', async () => {
    const spec = await loadModelSpec(modelDir(valid));
    expect(spec.manifest.batching).toEqual({});
    expect(spec.manifest.input.required).toEqual(['x']);
  });

  it('names a required field that is not declared', async () => {
    const error = await manifestError({ ...valid, input: { ...valid.input, required: ['x', 'z'] } });
    expect(error.message).toMatch(/input\.required\[1\]: "z" is not in properties/);
  });

  it('refuses an example that breaks its own input schema (it would be published as a valid request), naming the field', async () => {
    const error = await manifestError({ ...valid, example: { x: 'one', extra: 1 } });
    expect(error.message).toContain('example.x: must be number, got string');
    expect(error.message).toContain('example.extra: is not a known field');
    await expect(loadModelSpec(modelDir({ ...valid, example: { x: 1 } }))).resolves.toBeDefined();
  });

  it('quotes a field type that is not one of the five, and lists them', async () => {
    const typo = await manifestError({ ...valid, input: { type: 'object', properties: { x: { type: 'interger' } } } });
    expect(typo.message).toContain('input.properties.x.type: must be one of "array", "integer", "number", "string", "boolean", got "interger"');
    const missing = await manifestError({ ...valid, input: { type: 'object', properties: { x: { minimum: 0 } } } });
    expect(missing.message).toContain('input.properties.x.type: is required: one of "array", "integer"');
  });

  it('says "integer" for a batching setting that must be a whole number', async () => {
    const error = await manifestError({ ...valid, batching: { maxBatchRows: 2.5 } });
    expect(error.message).toContain('batching.maxBatchRows: must be integer, got 2.5');
  });

  it('refuses constraints that do not fit the type', async () => {
    const error = await manifestError({ ...valid, input: { type: 'object', properties: { s: { type: 'string', minimum: 1 } } } });
    expect(error.message).toMatch(/input\.properties\.s\.minimum: only applies to numbers/);
  });

  it('refuses invalid JSON with the parser message', async () => {
    const error = await manifestError('{ not json');
    expect(error.message).toMatch(/not valid JSON/);
  });

  it('defaults the runtime to python and refuses one it does not know', async () => {
    expect((await loadModelSpec(modelDir(valid))).manifest.runtime).toBe('python');
    const error = await manifestError({ ...valid, runtime: 'tensorflow' });
    expect(error.message).toMatch(/runtime: must be one of "python", "onnx"/);
  });

  it('asks each runtime for its own fields', async () => {
    const { handler: _handler, ...noHandler } = valid as Record<string, unknown>;
    expect((await manifestError(noHandler)).message).toMatch(/handler: is required for runtime "python"/);
    const onnx = await manifestError({ ...noHandler, runtime: 'onnx' });
    expect(onnx.message).toMatch(/artifact: is required for runtime "onnx"/);
    expect((await manifestError({ ...noHandler, runtime: 'onnx', artifact: 'missing.onnx', input: undefined })).message).toMatch(/declares no input, and its graph .*missing.onnx cannot be read/);
  });

  it('accepts an array-of-scalars field with item constraints and a length', async () => {
    const pixels = { type: 'array', items: { type: 'number', minimum: 0, maximum: 16 }, minItems: 64, maxItems: 64 };
    const spec = await loadModelSpec(modelDir({ ...valid, input: { type: 'object', properties: { pixels }, required: ['pixels'] } }));
    expect(spec.manifest.input.properties.pixels).toEqual(pixels);
  });

  it('refuses nested arrays, nullable items and minItems above maxItems, by field', async () => {
    const field = (f: unknown) => ({ ...valid, input: { type: 'object', properties: { a: f } } });
    expect((await manifestError(field({ type: 'array', items: { type: 'array', items: { type: 'number' } } }))).message).toMatch(/input\.properties\.a\.items\.type/);
    expect((await manifestError(field({ type: 'array', items: { type: 'number', nullable: true } }))).message).toMatch(/input\.properties\.a\.items\.nullable/);
    expect((await manifestError(field({ type: 'array', items: { type: 'string', minimum: 0 } }))).message).toMatch(/input\.properties\.a\.items\.minimum: only applies to numbers/);
    expect((await manifestError(field({ type: 'array', items: { type: 'number' }, minItems: 3, maxItems: 2 }))).message).toMatch(/input\.properties\.a\.minItems: must not exceed maxItems/);
  });
});
