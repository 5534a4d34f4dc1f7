import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MAX_REPORTED_ISSUES, ValidationError } from '../../../src/errors.js';
import { predictSchemas, type PredictSchemas } from '../../../src/http/predict-schemas.js';
import { loadModelSpec, type Manifest } from '../../../src/model/manifest.js';
import { modelSchemas } from '../../../src/registry/model-schemas.js';
import { ROOT } from '../../helpers/paths.js';

const ROWS = 4096;
let manifest: Manifest;
let schemas: PredictSchemas;

/** Counts the issues zod builds (it finalizes every issue of a failed parse through the configured error map). */
function countIssuesBuilt(run: () => void): number {
  let built = 0;
  z.config({ customError: () => { built++; return undefined; } });
  try {
    run();
  } finally {
    z.config({ customError: undefined });
  }
  return built;
}

beforeAll(async () => {
  manifest = (await loadModelSpec(path.join(ROOT, 'models', 'census-income'))).manifest;
  schemas = predictSchemas(modelSchemas(manifest), { maxRequestRows: ROWS });
});

afterEach(() => z.config({ customError: undefined }));

describe('validateBody', () => {
  it(`stops building issues once ${MAX_REPORTED_ISSUES} are found: ${ROWS} rows of wrong types build no more than two rows' worth`, () => {
    const fields = Object.keys(manifest.input.properties);
    const badRow = Object.fromEntries(fields.map((name) => [name, [1]]));
    let result: ReturnType<PredictSchemas['validateBody']> | undefined;
    const built = countIssuesBuilt(() => {
      result = schemas.validateBody({ instances: Array.from({ length: ROWS }, () => badRow) });
    });
    // Before: every field of every row, 4096 × 14 = 57,344 issues for 20 reported.
    expect(built).toBeLessThanOrEqual(2 * fields.length);
    const error = (result as { error: ValidationError }).error;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.issues).toHaveLength(MAX_REPORTED_ISSUES);
    expect(error.issues[0]).toEqual({ field: 'instances[0].age', reason: 'must be integer, got array' });
    expect(error.issues[fields.length]!.field).toBe('instances[1].age');
  });

  it('a bad row after valid ones is named by its index, and the rows before it cost no issue', () => {
    const rows = [manifest.example, manifest.example, { ...manifest.example, age: -1 }];
    let result: ReturnType<PredictSchemas['validateBody']> | undefined;
    const built = countIssuesBuilt(() => {
      result = schemas.validateBody({ instances: rows });
    });
    expect(built).toBe(1);
    expect((result as { error: ValidationError }).error.issues).toEqual([{ field: 'instances[2].age', reason: 'must be >= 0' }]);
  });

  it('still reports an unknown top-level key beside the rows, and accepts valid rows', () => {
    const bad = schemas.validateBody({ instances: [manifest.example], extra: 1 });
    expect((bad as { error: ValidationError }).error.issues).toEqual([{ field: 'extra', reason: 'is not a known field' }]);
    const empty = schemas.validateBody({ instances: [] });
    expect((empty as { error: ValidationError }).error.issues).toEqual([{ field: 'instances', reason: 'must hold at least 1 items' }]);
    const good = schemas.validateBody({ instances: [manifest.example, manifest.example] });
    expect(good).toEqual({ value: { instances: [manifest.example, manifest.example] } });
  });
});
