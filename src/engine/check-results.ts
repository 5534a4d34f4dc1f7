import { ModelError } from '../errors.js';
import { describe } from '../format-issues.js';
import type { Result } from '../model/row-schema.js';

/**
 * A backend's answer to a batch of `rows` rows, checked before the batcher
 * splits it among callers: one result per row, whatever the backend. A wrong
 * count is the model's fault, so it fails the batch like a handler error
 * (and bisection finds the rows it fails on).
 */
export function checkResults(results: unknown, rows: number): Result[] {
  if (!Array.isArray(results)) {
    throw new ModelError('RESULT_LENGTH', `the model must return a list with one result per row, got ${describe(results)} for ${rows} rows`);
  }
  if (results.length !== rows) {
    throw new ModelError('RESULT_LENGTH', `the model returned ${results.length} results for ${rows} rows; it must return one result per row`);
  }
  return results as Result[];
}

/** Why one result breaks the model's declared output (naming the field), or `undefined` when it matches. */
export type ResultCheck = (result: unknown) => string | undefined;

/**
 * The results of a batch that break the model's declared output, by their
 * position in the batch. Unlike a handler error, the failing rows are known
 * exactly, so they fail on their own and the rest of the batch is served
 * without running the model again.
 */
export function invalidResults(results: readonly Result[], check: ResultCheck): Map<number, ModelError> | undefined {
  let invalid: Map<number, ModelError> | undefined;
  for (let i = 0; i < results.length; i++) {
    const problem = check(results[i]);
    if (problem === undefined) continue;
    invalid ??= new Map();
    invalid.set(i, new ModelError('RESULT_SCHEMA', `the model's result does not match its declared output: ${problem}`));
  }
  return invalid;
}
