import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { admissionRefusal, type AdmissionInput } from '../../../src/engine/admission.js';
import { FUZZ } from '../../helpers/fuzz.js';

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

  it('only grows stricter with more rows: a request refused at one row would be refused at any size (what refusing before the body is read relies on)', () => {
    const input = fc.record({
      rows: fc.integer({ min: 2, max: 100_000 }),
      queuedRows: fc.integer({ min: 0, max: 100_000 }),
      readyWorkers: fc.integer({ min: 0, max: 8 }),
      // Mostly every ready worker busy: the only case where admission refuses anything.
      idleWorkers: fc.oneof({ arbitrary: fc.constant(0), weight: 4 }, { arbitrary: fc.integer({ min: -2, max: 2 }), weight: 1 }),
      fit: fc.option(
        fc.record({
          fixedMs: fc.double({ min: 0, max: 500, noNaN: true }),
          perRowMs: fc.double({ min: 0, max: 5, noNaN: true }),
          samples: fc.integer({ min: 0, max: 100 }),
          slowMarginMs: fc.double({ min: 0, max: 200, noNaN: true }),
        }),
        { nil: undefined, freq: 10 },
      ),
      maxBatchRows: fc.integer({ min: 1, max: 4096 }),
      latencySloMs: fc.option(fc.integer({ min: 1, max: 2_000 }), { nil: undefined }),
      objectiveFeasible: fc.option(fc.boolean(), { nil: undefined }),
      maxWaitMs: fc.integer({ min: 1, max: 2_000 }),
    }).map(({ idleWorkers, ...rest }) => ({ ...rest, inFlightBatches: Math.max(0, rest.readyWorkers - idleWorkers) }));
    fc.assert(
      fc.property(input, (asked) => {
        if (admissionRefusal({ ...asked, rows: 1 }) === undefined) return;
        expect(admissionRefusal(asked)).toBeDefined();
      }),
      FUZZ,
    );
  });
});
