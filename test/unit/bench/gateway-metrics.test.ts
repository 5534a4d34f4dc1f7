import { describe, expect, it } from 'vitest';
import { shareAbove } from '../../../bench/lib/gateway-metrics.js';

const INF = Number.POSITIVE_INFINITY;

describe('shareAbove', () => {
  it('counts only the observations between the two readings', () => {
    // 100 before (90 within 0.1 s); 1,100 after (1,040 within 0.1 s): of the 1,000 new ones, 50 took longer.
    const before = new Map([[0.05, 80], [0.1, 90], [INF, 100]]);
    const after = new Map([[0.05, 900], [0.1, 1040], [INF, 1100]]);
    const { count, share } = shareAbove(before, after, 0.1);
    expect(count).toBe(1000);
    expect(share).toBeCloseTo(0.05, 12);
  });

  it('reads from zero without a first reading', () => {
    expect(shareAbove(undefined, new Map([[0.1, 3], [INF, 4]]), 0.1)).toEqual({ count: 4, share: 0.25 });
  });

  it('has no share for a bound that is not a bucket, or for an empty window', () => {
    const after = new Map([[0.1, 3], [INF, 4]]);
    expect(shareAbove(undefined, after, 0.07).share).toBeNull();
    expect(shareAbove(after, after, 0.1)).toEqual({ count: 0, share: null });
  });
});
