import { describe, expect, it } from 'vitest';
import { formatIssues } from '../../../src/config/format-issues.js';
import { loadModelSpec } from '../../../src/model/manifest.js';
import { rowSchema } from '../../../src/model/row-schema.js';
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
    expect(issues({ ...example, age: '25' })).toEqual([{ field: 'age', reason: 'must be number, got string' }]);
  });

  it('refuses a negative age and a fractional count', () => {
    expect(issues({ ...example, age: -1 })).toEqual([{ field: 'age', reason: 'must be >= 0' }]);
    expect(issues({ ...example, 'hours-per-week': 1.5 })[0]!.field).toBe('hours-per-week');
  });

  it('refuses unknown fields by name', () => {
    expect(issues({ ...example, education_num: 9 })).toEqual([{ field: 'education_num', reason: 'is not a known field' }]);
  });

  it('refuses empty strings', () => {
    expect(issues({ ...example, sex: '' })).toEqual([{ field: 'sex', reason: 'must be at least 1 characters long' }]);
  });
});
