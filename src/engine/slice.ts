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
 * of the batch's slices, so slice `i` owns the next `count` results.
 */
export function splitBatch(slices: readonly Slice[], results: readonly Result[]): void {
  let position = 0;
  for (const slice of slices) {
    slice.request.complete(slice.offset, results, position, slice.count);
    position += slice.count;
  }
}
