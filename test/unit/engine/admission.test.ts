import { describe, expect, it } from 'vitest';
import { admissionRefusal, type AdmissionInput } from '../../../src/engine/admission.js';

const base: AdmissionInput = {
  rows: 1,
  queuedRows: 10,
  readyWorkers: 2,
  inFlightBatches: 2,
  fit: { fixedMs: 10, perRowMs: 0.05, samples: 50 },
  maxBatchRows: 1024,
  latencySloMs: 100,
  objectiveFeasible: true,
  maxWaitMs: 100,
};
const refused = (changes: Partial<AdmissionInput>) => admissionRefusal({ ...base, ...changes });

describe('admissionRefusal', () => {
  it('never refuses while a worker is idle, with an empty queue, or while the cost model warms up', () => {
    const overloaded = { queuedRows: 100_000, fit: { fixedMs: 10, perRowMs: 1, samples: 50 } };
    expect(refused(overloaded)).toBeDefined();
    expect(refused({ ...overloaded, inFlightBatches: 1 })).toBeUndefined();
    expect(refused({ ...overloaded, queuedRows: 0, rows: 100_000 })).toBeUndefined();
    expect(refused({ ...overloaded, fit: undefined })).toBeUndefined();
  });

  it('fixed-dominated cost: rows that ride the next round of batches are taken, however slow a batch is', () => {
    const slow = { fit: { fixedMs: 150, perRowMs: 0.1, samples: 50 }, objectiveFeasible: false };
    // 64 closed-loop clients against a model whose one batch is longer than the objective.
    expect(refused({ ...slow, queuedRows: 63 })).toBeUndefined();
    // Two rounds of 1024 rows ahead of it: that is excess work, refused at once.
    const excess = refused({ ...slow, queuedRows: 2 * 1024 });
    expect(excess).toMatchObject({ objectiveMs: 100 });
    expect(excess!.predictedMs).toBeGreaterThan(100);
  });

  it('per-row-dominated cost: refuses once the queue ahead is longer than the objective allows', () => {
    const perRow = { fit: { fixedMs: 1, perRowMs: 2, samples: 50 } };
    // Cap (50 - 1) / 2 = 24 rows per batch, two workers: 48 rows ride the next round.
    expect(refused({ ...perRow, queuedRows: 47 })).toBeUndefined();
    // Three rounds of 49 ms ahead of a 49 ms batch: later than 100 ms.
    expect(refused({ ...perRow, queuedRows: 48 * 3 })).toBeDefined();
  });

  it('holds a caller to the wait it asked for instead of the objective', () => {
    const perRow = { fit: { fixedMs: 1, perRowMs: 2, samples: 50 }, queuedRows: 48 * 3 };
    expect(refused(perRow)).toBeDefined();
    expect(refused({ ...perRow, maxWaitMs: 30_000 })).toBeUndefined();
  });

  it('plans the queue with the slow batches: the slow margin shortens the queue it takes, never below the next round', () => {
    // Full batches of 1024 rows take 61.2 ms on the line, well inside half of a 200-ms objective.
    const fast = { fit: { fixedMs: 10, perRowMs: 0.05, samples: 50 }, latencySloMs: 200, maxWaitMs: 200, queuedRows: 4095 };
    // Two rounds ahead: 30.6 + 61.2 ms of queue, then its own 61.2 ms batch: in time.
    expect(refused(fast)).toBeUndefined();
    // The same batches, but the slow ones run 20 ms past the line: 40.6 + 81.2 + 81.2 ms is late.
    const slow = { ...fast, fit: { ...fast.fit, slowMarginMs: 20 } };
    expect(refused(slow)).toBeDefined();
    // Rows that ride the next round, or find a worker idle, are still taken.
    expect(refused({ ...slow, queuedRows: 2047 })).toBeUndefined();
    expect(refused({ ...slow, inFlightBatches: 1 })).toBeUndefined();
  });
});
