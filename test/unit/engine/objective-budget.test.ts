import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MetricFamilies } from '../../../src/metrics/metric-families.js';
import { FAKE_TIMERS } from '../../helpers/flush.js';
import { closedLoop, line, Simulation, warmUp, type BatchCost } from '../../helpers/simulation.js';

/** Batches counted past half the objective, by reason, after `clients` closed-loop clients for 5 simulated seconds. */
async function overBudget(cost: BatchCost, latencySloMs: number | undefined, clients = 64, latencySloMaxCost?: number): Promise<Record<string, number>> {
  const families = new MetricFamilies();
  const metrics = families.forModel('m', { queuedRows: () => 0, inFlightBatches: () => 0, readyWorkers: () => 2 });
  const sim = new Simulation(2, cost, { latencySloMs, latencySloMaxCost, metrics });
  await warmUp(sim);
  await closedLoop(sim, clients, 5_000);
  const counted = await families.batchesOverBudget.get();
  return Object.fromEntries(counted.values.map((v) => [String(v.labels.reason), v.value]));
}

describe('batches sent past the objective budget are counted, with the reason', () => {
  beforeEach(() => {
    vi.useFakeTimers(FAKE_TIMERS);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('amortising: the floor sends the queue whole past a feasible objective\'s cap (14 ms + 0.4 ms/row, objective 100 ms, 256 clients)', async () => {
    // 90 rows fit in 50 ms (74 % of a full batch's throughput: feasible when
    // the objective may cost half of it); 256 callers' queue is short of
    // overload, so it goes out ~128 to a batch (65 ms).
    const counted = await overBudget(line(14, 0.4), 100, 256, 0.5);
    expect(counted['amortising']).toBeGreaterThan(50);
    expect(counted['infeasible']).toBe(0);
  });

  it('infeasible: no batch fits (150 ms + 0.1 ms/row, objective 100 ms)', async () => {
    const counted = await overBudget(line(150, 0.1), 100);
    expect(counted['infeasible']).toBeGreaterThan(30);
    expect(counted['amortising']).toBe(0);
  });

  it('none when the batches fit (10 ms + 0.05 ms/row), and none without an objective', async () => {
    expect(await overBudget(line(10, 0.05), 100)).toEqual({ amortising: 0, infeasible: 0 });
    expect(await overBudget(line(45, 0.4), undefined)).toEqual({ amortising: 0, infeasible: 0 });
  });
});
