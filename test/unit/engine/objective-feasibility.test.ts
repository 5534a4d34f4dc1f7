import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CostFit } from '../../../src/engine/cost-model.js';
import { ObjectiveFeasibility, objectiveEfficiency } from '../../../src/engine/objective-feasibility.js';
import { FAKE_TIMERS } from '../../helpers/flush.js';
import { line, openLoop, Simulation, warmUp } from '../../helpers/simulation.js';

const fit = (fixedMs: number, perRowMs: number): CostFit => ({ fixedMs, perRowMs, samples: 50 });

describe('objectiveEfficiency', () => {
  it('is the throughput of the budget\'s batch over a full batch\'s: 1 when a full batch fits, 0 when no row does', () => {
    expect(objectiveEfficiency(fit(10, 0.01), 50, 1024)).toBe(1);
    expect(objectiveEfficiency(fit(60, 0.1), 50, 1024)).toBe(0);
    // 12 rows fit in 50 ms: 12 / 49.8 against 1024 / 454.6 rows/ms.
    expect(objectiveEfficiency(fit(45, 0.4), 50, 1024)).toBeCloseTo(12 / 49.8 / (1024 / 454.6), 6);
    // Per-row cost alone: every size serves alike.
    expect(objectiveEfficiency(fit(0, 2), 50, 1024)).toBeCloseTo(1, 6);
  });

  it('keeps at least half whenever the objective is at least four times the fixed cost plus two rows (the README\'s rule of thumb)', () => {
    // Then at least fixed / perRow rows fit in half of it, and a batch that
    // is at most half fixed cost serves at least half of what any batch can.
    for (const fixedMs of [0.5, 1.5, 5, 12, 35, 45, 150]) {
      for (const perRowMs of [0.001, 0.04, 0.22, 1, 2, 7]) {
        for (const maxBatchRows of [16, 256, 1024, 4096]) {
          const objectiveMs = 4 * fixedMs + 2 * perRowMs;
          expect(objectiveEfficiency(fit(fixedMs, perRowMs), objectiveMs / 2, maxBatchRows), `${fixedMs} + ${perRowMs}/row, ${maxBatchRows}`).toBeGreaterThanOrEqual(0.5);
        }
      }
    }
    // Four times the fixed cost alone is not enough when one row costs about as much as the fixed part: 1 row of 2.5 ms fits in 3 ms.
    expect(objectiveEfficiency(fit(1.5, 1), 3, 1024)).toBeLessThan(0.5);
  });
});

describe('ObjectiveFeasibility', () => {
  it('calls an objective infeasible when one row fits but the batches that fit serve under 1 − latencySloMaxCost of a full batch (0.9 by default)', () => {
    const state = new ObjectiveFeasibility();
    expect(state.update(fit(10, 0.01), 100, 1024, 0)).toBeUndefined();
    expect(state.current).toBe(true);
    // 20 ms + 0.05 ms/row: the 600 rows that fit in 50 ms serve 83 % of a full batch.
    expect(objectiveEfficiency(fit(20, 0.05), 50, 1024)).toBeCloseTo(0.83, 2);
    expect(state.update(fit(20, 0.05), 100, 1024, 1)).toMatchObject({ feasible: false, reason: 'efficiency', oneRowMs: 20.05 });
    expect(state.current).toBe(false);
    expect(state.reason).toBe('efficiency');
    // A one-row batch over the budget says so instead.
    state.update(fit(60, 0.4), 100, 1024, 2);
    expect(state.reason).toBe('one-row');
    // Allowed to cost half the throughput, the same line is worth its price.
    const lenient = new ObjectiveFeasibility();
    lenient.update(fit(20, 0.05), 100, 1024, 0, 0.5);
    expect(lenient.current).toBe(true);
    // 45 ms + 0.4 ms/row: one row in 45.4 ms fits half of 100 ms, but 12 rows serve 11 % of a full batch.
    expect(lenient.update(fit(45, 0.4), 100, 1024, 1, 0.5)).toMatchObject({ feasible: false, reason: 'efficiency', oneRowMs: 45.4 });
    // At 1 no price is too high: only a one-row batch over the budget makes it infeasible.
    const strict = new ObjectiveFeasibility();
    strict.update(fit(45, 0.4), 100, 1024, 0, 1);
    expect(strict.current).toBe(true);
    strict.update(fit(51, 0.4), 100, 1024, 1, 1);
    expect(strict.reason).toBe('one-row');
  });

  for (const [maxCost, [low, mid, high]] of [[0.1, [14, 10, 5]], [0.5, [34, 33, 18]]] as const) {
    it(`at latencySloMaxCost ${maxCost}, turns feasible again only at 5 points more efficiency held for a second, so a cost hovering at the limit does not flap`, () => {
      const state = new ObjectiveFeasibility();
      const least = 1 - maxCost;
      const at = (fixedMs: number): number => objectiveEfficiency(fit(fixedMs, 0.065), 50, 1024);
      // Fixed costs whose batches keep under the limit, between it and 5 points more, and more.
      expect(at(low)).toBeLessThan(least);
      expect(at(mid)).toBeGreaterThan(least);
      expect(at(mid)).toBeLessThan(least + 0.05);
      expect(at(high)).toBeGreaterThan(least + 0.05);
      // True when the state turned (news worth a log line).
      const update = (fixedMs: number, now: number): boolean => state.update(fit(fixedMs, 0.065), 100, 1024, now, maxCost) !== undefined;
      update(low, 0);
      expect(state.current).toBe(false);
      expect(update(mid, 100)).toBe(false);
      expect(state.current).toBe(false);
      // Good for 900 ms, then a bad reading: the second starts again.
      expect(update(high, 200)).toBe(false);
      expect(update(high, 1_100)).toBe(false);
      expect(update(low, 1_150)).toBe(false);
      expect(update(high, 1_200)).toBe(false);
      expect(update(high, 2_100)).toBe(false);
      expect(state.current).toBe(false);
      expect(update(high, 2_200)).toBe(true);
      expect(state.current).toBe(true);
      // From feasible, the middle one keeps it.
      expect(update(mid, 2_300)).toBe(false);
      expect(state.current).toBe(true);
    });
  }

  it('judges a changed setting at once by its own limits, without the hysteresis of the old one', () => {
    const state = new ObjectiveFeasibility();
    // 20 ms + 0.05 ms/row keeps 83 %: infeasible at the default 0.1.
    state.update(fit(20, 0.05), 100, 1024, 0);
    expect(state.current).toBe(false);
    // Allowed to cost half: feasible on the next reading, not a second later.
    expect(state.update(fit(20, 0.05), 100, 1024, 1, 0.5)).toMatchObject({ feasible: true });
    // A longer objective is a changed setting too: 900 rows fit in 100 ms.
    state.update(fit(20, 0.05), 100, 1024, 2);
    expect(state.current).toBe(false);
    expect(state.update(fit(20, 0.05), 200, 1024, 3)).toMatchObject({ feasible: true });
  });

  it('measures efficiency against the configured maxBatchRows', () => {
    const state = new ObjectiveFeasibility();
    // 45 ms + 0.4 ms/row against full batches of 13 rows (50.2 ms): the 12 rows that fit keep 93 %.
    state.update(fit(45, 0.4), 100, 13, 0);
    expect(state.current).toBe(true);
    // Against 1024-row batches they keep 11 %.
    state.update(fit(45, 0.4), 100, 1024, 1);
    expect(state.current).toBe(false);
  });
});

describe('overload of a model whose objective is barely feasible', () => {
  beforeEach(() => {
    vi.useFakeTimers(FAKE_TIMERS);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('45 ms + 0.1 ms/row, offered twice what full batches serve: the gateway serves at least half of what full batches do, not the budget\'s 49-row batches', async () => {
    // One row (45.1 ms) fits in half the 100 ms objective, so the objective
    // used to count as feasible and every batch under overload was capped at
    // the 49 rows that fit: 2 × 49 rows in 50 ms, 14 % of the 2 × 1024 rows
    // in 147 ms that full batches serve. Most of the machine was refused.
    const sim = new Simulation(2, line(45, 0.1), { latencySloMs: 100 });
    await warmUp(sim);
    const fullRowsPerMs = (2 * 1024) / (45 + 0.1 * 1024);
    const result = await openLoop(sim, (2 * fullRowsPerMs) / 8, 4_000, 1_000, { rowsPerRequest: 8 });
    expect(sim.engine.state.objectiveFeasible).toBe(false);
    expect(result.refused).toBeGreaterThan(0);
    expect((result.goodput * 8) / 1000 / fullRowsPerMs).toBeGreaterThanOrEqual(0.5);
  });
});
