import type { ModelError } from '../errors.js';
import type { Result } from '../model/row-schema.js';
import type { PendingRequest } from './pending-request.js';

/** Rows `offset .. offset+count` of one request; a batch is a list of slices. */
export interface Slice {
  readonly request: PendingRequest;
  readonly offset: number;
  readonly count: number;
}

/**
 * Hands each request exactly its own results: batch results are in the order
 * of the batch's slices, so slice `i` owns the next `count` results. A slice
 * holding a result in `invalid` fails its request with that error, located at
 * the row within the request.
 */
export function splitBatch(slices: readonly Slice[], results: readonly Result[], invalid?: ReadonlyMap<number, ModelError>): void {
  let position = 0;
  for (const slice of slices) {
    const failure = invalid === undefined ? undefined : firstInvalid(invalid, position, slice.count);
    if (failure === undefined) slice.request.complete(slice.offset, results, position, slice.count);
    else slice.request.fail(failure.error.at({ row: slice.offset + failure.index - position }));
    position += slice.count;
  }
}

function firstInvalid(invalid: ReadonlyMap<number, ModelError>, from: number, count: number): { index: number; error: ModelError } | undefined {
  for (let index = from; index < from + count; index++) {
    const error = invalid.get(index);
    if (error !== undefined) return { index, error };
  }
  return undefined;
}
