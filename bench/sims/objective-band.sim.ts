/**
 * What the latency objective costs across batch costs, in the engine's
 * simulation (`test/helpers/simulation.ts`: the real engine over two fake
 * workers whose batch takes the line's time, on fake timers), objective
 * 100 ms, `maxBatchRows` 1024:
 *
 * - closed loop: 64 clients of 32-row requests (2,048 rows outstanding),
 *   coming back 1–6 ms after each answer, 5 s; goodput with the objective
 *   over the same without;
 * - open loop: 32-row requests at twice what full batches serve, measured
 *   from 2 s to 6 s; goodput against full batches, and the share of accepted
 *   requests answered after the objective.
 *
 * "efficiency" is what the batches that fit in half the objective serve,
 * against full batches: the objective counts as feasible at 0.5 or more
 * (`MIN_OBJECTIVE_EFFICIENCY` in src/engine/objective-feasibility.ts).
 * Run: `npm run bench:sims`. The table is in bench/RESULTS.md ("Issue 14:
 * the band where closed loops and open-loop latency cannot both hold").
 */
import { afterAll, afterEach, beforeEach, describe, it, vi } from 'vitest';
import { batchBudgetMs } from '../../src/engine/batch-cap.js';
import { objectiveEfficiency } from '../../src/engine/objective-feasibility.js';
import { FAKE_TIMERS } from '../../test/helpers/flush.js';
import { closedLoop, line, openLoop, seededRandom, Simulation, warmUp } from '../../test/helpers/simulation.js';

const OBJECTIVE_MS = 100;
const MAX_BATCH_ROWS = 1024;
const LINES = [[10, 0.05], [20, 0.05], [12, 0.08], [34, 0.027], [14, 0.4], [25, 0.1], [25, 0.2], [30, 0.1], [1, 2]] as const;

const rows: string[] = [];

describe('the latency objective across batch costs', () => {
  beforeEach(() => {
    vi.useFakeTimers(FAKE_TIMERS);
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  afterAll(() => {
    console.log(['| batch cost | efficiency | closed loop, with / without | refused | open loop, of full batches | late | p99 ms |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |', ...rows].join('\n'));
  });

  for (const [fixedMs, perRowMs] of LINES) {
    it(`${fixedMs} ms + ${perRowMs} ms/row`, async () => {
      const goodput: number[] = [];
      let refused = 0;
      for (const latencySloMs of [OBJECTIVE_MS, undefined]) {
        const random = seededRandom(3);
        const sim = new Simulation(2, line(fixedMs, perRowMs), { latencySloMs });
        await warmUp(sim);
        const result = await closedLoop(sim, 64, 5_000, { rowsPerRequest: 32, roundTripMs: () => 1 + Math.floor(random() * 6) });
        goodput.push(result.goodput);
        if (latencySloMs !== undefined) refused = result.refused;
      }
      const fullRowsPerMs = (2 * MAX_BATCH_ROWS) / (fixedMs + perRowMs * MAX_BATCH_ROWS);
      const sim = new Simulation(2, line(fixedMs, perRowMs), { latencySloMs: OBJECTIVE_MS });
      await warmUp(sim);
      const open = await openLoop(sim, (2 * fullRowsPerMs) / 32, 6_000, 2_000, { rowsPerRequest: 32 });
      const efficiency = objectiveEfficiency({ fixedMs, perRowMs, samples: 0 }, batchBudgetMs(OBJECTIVE_MS), MAX_BATCH_ROWS);
      rows.push(
        `| ${fixedMs} ms + ${perRowMs} ms/row | ${efficiency.toFixed(2)} | ${(goodput[0]! / goodput[1]!).toFixed(2)} | ${refused} | ${((open.goodput * 32) / 1000 / fullRowsPerMs).toFixed(2)} | ${(100 * open.lateShare(OBJECTIVE_MS)).toFixed(1)} % | ${open.quantile(0.99).toFixed(0)} |`,
      );
    });
  }
});
