import { describe, expect, it } from 'vitest';
import { checkResults } from '../../../src/engine/check-results.js';
import { ModelError } from '../../../src/errors.js';

function failure(results: unknown, rows: number): ModelError {
  try {
    checkResults(results, rows);
  } catch (error) {
    return error as ModelError;
  }
  throw new Error('checkResults accepted it');
}

describe('checkResults', () => {
  it('passes one result per row through', () => {
    expect(checkResults([{ a: 1 }, { a: 2 }], 2)).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('says a result that is not a list must be one, and what it was', () => {
    const error = failure({ label: [1, 2] }, 2);
    expect(error).toBeInstanceOf(ModelError);
    expect(error.workerCode).toBe('RESULT_LENGTH');
    expect(error.message).toContain('must return a list with one result per row, got object for 2 rows');
  });

  it('names both counts when the list is too short', () => {
    expect(failure([{ a: 1 }], 2).message).toContain('returned 1 results for 2 rows; it must return one result per row');
  });
});
