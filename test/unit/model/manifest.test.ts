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

  it('refuses constraints that do not fit the type', async () => {
    const error = await manifestError({ ...valid, input: { type: 'object', properties: { s: { type: 'string', minimum: 1 } } } });
    expect(error.message).toMatch(/input\.properties\.s\.minimum: only applies to numbers/);
  });

  it('refuses invalid JSON with the parser message', async () => {
    const error = await manifestError('{ not json');
    expect(error.message).toMatch(/not valid JSON/);
  });
});
