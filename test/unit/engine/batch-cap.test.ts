import { describe, expect, it } from 'vitest';
import { amortisingRows, batchCap, MIN_BATCH_EFFICIENCY } from '../../../src/engine/batch-cap.js';
import type { CostFit } from '../../../src/engine/cost-model.js';

const fit = (fixedMs: number, perRowMs: number): CostFit => ({ fixedMs, perRowMs, samples: 50 });
const cap = (cost: CostFit | undefined, backlogRows: number, latencySloMs: number | undefined = 100, objectiveFeasible: boolean | undefined = true) =>
  batchCap({ fit: cost, maxBatchRows: 1024, latencySloMs, backlogRows, objectiveFeasible });
const throughput = (cost: CostFit, rows: number) => rows / (cost.fixedMs + cost.perRowMs * rows);

describe('batchCap', () => {
  it('per-row-dominated cost: the rows that fit in half the objective', () => {
    // (50 - 1) / 2 = 24.5 rows; the fixed cost is negligible, so no floor lifts it.
    expect(cap(fit(1, 2), 200)).toBe(24);
    expect(cap(fit(1, 2), 10)).toBe(24);
  });

  it('fixed-dominated cost: never below the size that amortises the fixed cost', () => {
    const cost = fit(45, 0.1);
    // Half the objective fits only (50 - 45) / 0.1 = 50 rows ...
    expect(cap(cost, 10)).toBe(50);
    // ... but 200 queued rows go out nearly whole: a 50-row batch would keep 26 % of the throughput.
    const rows = cap(cost, 200);
    expect(rows).toBeGreaterThan(150);
    expect(throughput(cost, rows) / throughput(cost, 200)).toBeGreaterThanOrEqual(MIN_BATCH_EFFICIENCY);
  });

  it('a batch that costs 150 ms for 1 row and 152 ms for 64 carries the 64 rows', () => {
    const cost = fit(150 - 2 / 63, 2 / 63);
    // Infeasible: throughput sizing.
    expect(cap(cost, 64, 100, false)).toBe(1024);
    // Even with a generous objective where it is feasible, the floor keeps nearly all 64.
    expect(cap(cost, 64, 400, true)).toBeGreaterThanOrEqual(58);
  });

  it('infeasible objective: batches sized for throughput alone', () => {
    expect(cap(fit(150, 0.1), 1, 100, false)).toBe(1024);
    expect(cap(fit(150, 0.1), 5000, 100, false)).toBe(1024);
  });

  it('no objective, or still learning: maxBatchRows', () => {
    expect(batchCap({ fit: fit(1, 2), maxBatchRows: 1024, latencySloMs: undefined, backlogRows: 100, objectiveFeasible: undefined })).toBe(1024);
    expect(cap(undefined, 100)).toBe(1024);
  });
});

describe('amortisingRows', () => {
  it('keeps the promised share of the throughput of one batch of the whole backlog', () => {
    for (const [a, b] of [[10, 0.05], [150, 0.1], [40, 1], [1, 10], [25, 2]] as const) {
      for (const backlog of [2, 16, 64, 200, 1024]) {
        const rows = amortisingRows(fit(a, b), backlog);
        expect(rows).toBeLessThanOrEqual(backlog);
        expect(throughput(fit(a, b), rows) / throughput(fit(a, b), backlog)).toBeGreaterThanOrEqual(MIN_BATCH_EFFICIENCY - 1e-9);
        if (rows > 1) expect(throughput(fit(a, b), rows - 1) / throughput(fit(a, b), backlog)).toBeLessThan(MIN_BATCH_EFFICIENCY);
      }
    }
  });

  it('is one row when there is no fixed cost, and nearly everything when there is no per-row cost', () => {
    expect(amortisingRows(fit(0, 1), 500)).toBe(1);
    expect(amortisingRows(fit(10, 0), 500)).toBe(450);
  });
});
