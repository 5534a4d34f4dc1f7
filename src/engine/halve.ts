import type { Slice } from './slice.js';

/** Rows in a list of slices. */
export function sliceRows(slices: readonly Slice[]): number {
  let rows = 0;
  for (const slice of slices) rows += slice.count;
  return rows;
}

/**
 * Splits a batch into two halves by rows (a slice on the boundary is cut in
 * two), for bisecting a failed batch down to the rows that fail it.
 */
export function halve(slices: readonly Slice[]): [Slice[], Slice[]] {
  const target = Math.floor(sliceRows(slices) / 2);
  const first: Slice[] = [];
  const second: Slice[] = [];
  let taken = 0;
  for (const slice of slices) {
    const room = target - taken;
    if (room <= 0) {
      second.push(slice);
    } else if (slice.count <= room) {
      first.push(slice);
      taken += slice.count;
    } else {
      first.push({ request: slice.request, offset: slice.offset, count: room });
      second.push({ request: slice.request, offset: slice.offset + room, count: slice.count - room });
      taken += room;
    }
  }
  return [first, second];
}
