import { describe, expect, it } from 'vitest';
import { amortisingRows, batchCap, MAX_FIXED_SHARE, MIN_BATCH_EFFICIENCY } from '../../../src/engine/batch-cap.js';
import type { CostFit } from '../../../src/engine/cost-model.js';

const fit = (fixedMs: number, perRowMs: number): CostFit => ({ fixedMs, perRowMs, samples: 50 });
const cap = (cost: CostFit | undefined, backlogRows: number, latencySloMs: number | undefined, objectiveFeasible: boolean | undefined = true) =>
  batchCap({ fit: cost, maxBatchRows: 1024, latencySloMs, backlogRows, objectiveFeasible });
const throughput = (cost: CostFit, rows: number) => rows / (cost.fixedMs + cost.perRowMs * rows);

describe('batchCap', () => {
  it('per-row-dominated cost: the rows that fit in half the objective', () => {
    // (50 - 1) / 2 = 24.5 rows; the fixed cost is negligible, so no floor lifts it.
    expect(cap(fit(1, 2), 10, 100)).toBe(24);
    expect(cap(fit(1, 2), 5000, 100)).toBe(24);
  });

  it('fixed-dominated cost: never below the size that amortises the fixed cost, unless the queue is deep', () => {
    const cost = fit(20, 0.5);
    // Half the objective fits only (50 - 20) / 0.5 = 60 rows, a batch that is 40 % fixed cost,
    // so a short queue goes out whole, up to where the fixed cost is a quarter of the batch (3 × 20 / 0.5 = 120 rows) ...
    expect(cap(cost, 10, 100)).toBe(120);
    expect(cap(cost, 40, 100)).toBe(120);
    // (and the queues of a closed loop of up to a quarter of maxBatchRows clients go out in batches
    // that keep 90 % of one batch's throughput: 141 of 256 rows) ...
    expect(cap(cost, 256, 100)).toBe(141);
    // ... but a longer queue, and more than two objective-sized batches, is overload: the objective's cap holds there.
    expect(cap(cost, 257, 100)).toBe(60);
    expect(cap(cost, 5000, 100)).toBe(60);
  });

  it('a short queue of a fixed-dominated model keeps 90 % of the throughput of one batch of all of it', () => {
    const cost = fit(45, 0.1);
    // (50 - 45) / 0.1 = 50 rows fit; 64 closed-loop clients queue up to 100 rows.
    for (const backlog of [51, 64, 100]) expect(throughput(cost, cap(cost, backlog, 100)) / throughput(cost, backlog)).toBeGreaterThanOrEqual(MIN_BATCH_EFFICIENCY);
  });

  it('a batch that costs 150 ms for 1 row and 152 ms for 64 carries the 64 rows, whatever the objective', () => {
    const cost = fit(150 - 2 / 63, 2 / 63);
    expect(cap(cost, 64, 100, false)).toBe(1024);
    expect(cap(cost, 64, 400, true)).toBe(1024);
  });

  it('infeasible objective: batches sized for throughput alone', () => {
    expect(cap(fit(150, 0.1), 1, 100, false)).toBe(1024);
    expect(cap(fit(1, 2), 1, 1, false)).toBe(1024);
  });

  it('no objective, or still learning: maxBatchRows', () => {
    expect(cap(fit(1, 2), 100, undefined, undefined)).toBe(1024);
    expect(cap(undefined, 100, 100, undefined)).toBe(1024);
  });
});

describe('amortisingRows', () => {
  it('keeps 90 % of the throughput of one batch of the backlog, and the fixed cost to a quarter of the batch', () => {
    for (const [a, b] of [[10, 0.05], [150, 0.1], [40, 1], [1, 10], [25, 2]] as const) {
      for (const backlog of [1, 16, 64, 200, 1024, 100_000]) {
        const rows = amortisingRows(fit(a, b), backlog);
        expect(throughput(fit(a, b), rows) / throughput(fit(a, b), backlog)).toBeGreaterThanOrEqual(MIN_BATCH_EFFICIENCY - 1e-9);
        expect(a / (a + b * rows)).toBeLessThanOrEqual(MAX_FIXED_SHARE + 1e-9);
      }
    }
  });

  it('is one row when there is no fixed cost, and unbounded when there is no per-row cost', () => {
    expect(amortisingRows(fit(0, 1), 500)).toBe(1);
    expect(amortisingRows(fit(10, 0), 500)).toBe(Number.POSITIVE_INFINITY);
  });
});
