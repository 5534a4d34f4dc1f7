import { describe, expect, it } from 'vitest';
import { formatIssues } from '../../../src/format-issues.js';
import { loadModelSpec } from '../../../src/model/manifest.js';
import { rowSchema } from '../../../src/model/row-schema.js';
import type { ObjectSchema } from '../../../src/model/manifest.js';
import { z } from 'zod';
import { CENSUS_MODEL_DIR } from '../../helpers/paths.js';

const spec = await loadModelSpec(CENSUS_MODEL_DIR);
const schema = rowSchema(spec.manifest.input);
const example = spec.manifest.example!;

function issues(row: unknown) {
  const parsed = schema.safeParse(row);
  return parsed.success ? [] : formatIssues(parsed.error.issues);
}

describe('rowSchema (census-income manifest)', () => {
  it('accepts the manifest example, including a category unseen in training', () => {
    expect(issues(example)).toEqual([]);
    expect(example.workclass).toBe('Self-emp');
  });

  it('names a missing field', () => {
    const { age: _age, ...row } = example;
    expect(issues(row)).toEqual([{ field: 'age', reason: 'is required' }]);
  });

  it('names a wrong type and what was received', () => {
    expect(issues({ ...example, age: '25' })).toEqual([{ field: 'age', reason: 'must be integer, got string' }]);
    expect(issues({ ...example, workclass: 7 })).toEqual([{ field: 'workclass', reason: 'must be string, got number' }]);
  });

  it('says "integer" for an integer field, as the manifest does, and names the fraction it got', () => {
    expect(issues({ ...example, age: 25.5 })).toEqual([{ field: 'age', reason: 'must be integer, got 25.5' }]);
    expect(issues({ ...example, age: true })).toEqual([{ field: 'age', reason: 'must be integer, got boolean' }]);
    // Beyond 2^53 a number is no longer exact: an integer field (a result's too) names the limit.
    expect(issues({ ...example, fnlwgt: 2 ** 60 })).toEqual([{ field: 'fnlwgt', reason: 'must be <= 9007199254740991' }]);
  });

  it('refuses a negative age and a fractional count', () => {
    expect(issues({ ...example, age: -1 })).toEqual([{ field: 'age', reason: 'must be >= 0' }]);
    expect(issues({ ...example, 'hours-per-week': 1.5 })[0]!.field).toBe('hours-per-week');
  });

  it('refuses unknown fields by name', () => {
    expect(issues({ ...example, education_num: 9 })).toEqual([{ field: 'education_num', reason: 'is not a known field' }]);
  });

  it('counts string lengths in code points, as README and JSON Schema say: an astral character (😀, two UTF-16 units) is one', () => {
    // occupation: minLength 1, maxLength 64.
    expect(issues({ ...example, occupation: '😀'.repeat(64) })).toEqual([]);
    expect(issues({ ...example, occupation: '😀'.repeat(33) })).toEqual([]);
    expect(issues({ ...example, occupation: '😀'.repeat(65) })).toEqual([{ field: 'occupation', reason: 'must be at most 64 characters long' }]);
    expect(issues({ ...example, occupation: '𝒳'.repeat(63) + 'x' })).toEqual([]);
    const two = rowSchema({ type: 'object', properties: { s: { type: 'string', minLength: 2 } }, required: ['s'] } as ObjectSchema);
    expect(two.safeParse({ s: '😀' }).success).toBe(false);
    expect(two.safeParse({ s: '😀😀' }).success).toBe(true);
  });

  it('refuses empty strings', () => {
    expect(issues({ ...example, sex: '' })).toEqual([{ field: 'sex', reason: 'must be at least 1 characters long' }]);
  });
});

describe('rowSchema (an array-of-scalars field, as the digits model declares)', () => {
  const declaration: ObjectSchema = {
    type: 'object',
    properties: { pixels: { type: 'array', items: { type: 'number', minimum: 0, maximum: 16 }, minItems: 64, maxItems: 64 } },
    required: ['pixels'],
  };
  const pixels = rowSchema(declaration);
  const check = (row: unknown) => {
    const parsed = pixels.safeParse(row);
    return parsed.success ? [] : formatIssues(parsed.error.issues);
  };

  it('accepts 64 numbers in range', () => {
    expect(check({ pixels: Array.from({ length: 64 }, (_, i) => i % 17) })).toEqual([]);
  });

  it('names the length and each bad item by index', () => {
    expect(check({ pixels: [1, 2, 3] })).toEqual([{ field: 'pixels', reason: 'must hold at least 64 items' }]);
    expect(check({ pixels: Array.from({ length: 65 }, () => 0) })).toEqual([{ field: 'pixels', reason: 'must hold at most 64 items' }]);
    const row = Array.from({ length: 64 }, () => 0 as unknown);
    row[3] = 17;
    row[5] = 'x';
    expect(check({ pixels: row })).toEqual([
      { field: 'pixels[3]', reason: 'must be <= 16' },
      { field: 'pixels[5]', reason: 'must be number, got string' },
    ]);
    expect(check({ pixels: 7 })).toEqual([{ field: 'pixels', reason: 'must be array, got number' }]);
    // zod also checks a string's length against minItems; a wrong type is the only reason given.
    expect(check({ pixels: 'x'.repeat(3) })).toEqual([{ field: 'pixels', reason: 'must be array, got string' }]);
  });

  it('documents itself as a JSON Schema array with its item bounds and length', () => {
    expect(z.toJSONSchema(pixels).properties?.pixels).toEqual({ type: 'array', items: { type: 'number', minimum: 0, maximum: 16 }, minItems: 64, maxItems: 64 });
  });
});

describe('rowSchema enums', () => {
  it('documents a string enum as one enum, not a union of one-value enums', () => {
    const schema = rowSchema({ type: 'object', properties: { income: { type: 'string', enum: ['<=50K', '>50K'] } }, required: ['income'] });
    expect(z.toJSONSchema(schema).properties?.income).toEqual({ type: 'string', enum: ['<=50K', '>50K'] });
    expect(schema.safeParse({ income: '>50K' }).success).toBe(true);
    expect(formatIssues(schema.safeParse({ income: 'x' }).error!.issues)).toEqual([{ field: 'income', reason: 'must be one of "<=50K", ">50K"' }]);
  });
});
