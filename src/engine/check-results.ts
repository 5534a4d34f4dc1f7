import { ModelError } from '../errors.js';
import type { Result } from '../model/row-schema.js';

/**
 * A backend's answer to a batch of `rows` rows, checked before the batcher
 * splits it among callers: one result per row, whatever the backend. A wrong
 * count is the model's fault, so it fails the batch like a handler error
 * (and bisection finds the rows it fails on).
 */
export function checkResults(results: unknown, rows: number): Result[] {
  if (!Array.isArray(results) || results.length !== rows) {
    throw new ModelError('RESULT_LENGTH', `the model returned ${Array.isArray(results) ? results.length : 'no list of'} results for ${rows} rows`);
  }
  return results as Result[];
}
