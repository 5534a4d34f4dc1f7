import { describe, expect, it } from 'vitest';
import { PendingRequest } from '../../../src/engine/pending-request.js';
import { splitBatch, type Slice } from '../../../src/engine/slice.js';

describe('splitBatch (correlation routing)', () => {
  it('hands each request exactly its own results, whatever the mix of slices', async () => {
    const a = new PendingRequest([{ n: 1 }, { n: 2 }, { n: 3 }], 10_000, 0);
    const b = new PendingRequest([{ n: 10 }], 10_000, 0);
    const c = new PendingRequest([{ n: 20 }, { n: 21 }], 10_000, 0);
    // Batch 1: a[0..2), b, c[0..1); batch 2: a[2..3), c[1..2).
    const first: Slice[] = [
      { request: a, offset: 0, count: 2 },
      { request: b, offset: 0, count: 1 },
      { request: c, offset: 0, count: 1 },
    ];
    const second: Slice[] = [
      { request: c, offset: 1, count: 1 },
      { request: a, offset: 2, count: 1 },
    ];
    const answer = (slices: Slice[]) => slices.flatMap((s) => s.request.rows.slice(s.offset, s.offset + s.count).map((r) => ({ twice: (r.n as number) * 2 })));
    splitBatch(second, answer(second));
    splitBatch(first, answer(first));
    expect(await a.promise).toEqual([{ twice: 2 }, { twice: 4 }, { twice: 6 }]);
    expect(await b.promise).toEqual([{ twice: 20 }]);
    expect(await c.promise).toEqual([{ twice: 40 }, { twice: 42 }]);
  });

  it('settles a request only once all of its rows are back', () => {
    const a = new PendingRequest([{ n: 1 }, { n: 2 }], 10_000, 0);
    splitBatch([{ request: a, offset: 0, count: 1 }], [{ ok: 1 }]);
    expect(a.settled).toBe(false);
    splitBatch([{ request: a, offset: 1, count: 1 }], [{ ok: 2 }]);
    expect(a.settled).toBe(true);
  });
});
