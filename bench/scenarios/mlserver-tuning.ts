/**
 * Scenario: MLServer's peak (single rows, 64 connections) over a grid of its
 * own knobs (parallel_workers × max_batch_size/max_batch_time), to pick the
 * settings the comparison uses fairly. Not in the default run: its winner is
 * committed in bench/peers/mlserver/ and the grid it beat is in RESULTS.md.
 */
import type { Row } from '../../src/model/row-schema.js';
import { closedLoop, type ClosedLoopResult } from '../lib/closed-loop.js';
import type { MlserverTuning } from '../lib/systems/mlserver.js';
import { withSystem } from '../lib/systems/start-system.js';

export interface MlserverTuningSettings {
  readonly workers: readonly number[];
  /** [max_batch_size, max_batch_time in seconds]; [1, 0] is batching off. */
  readonly batching: readonly (readonly [number, number])[];
  readonly connections: number;
  readonly durationS: number;
  readonly warmupS: number;
}

export interface MlserverTuningRun extends ClosedLoopResult {
  readonly tuning: MlserverTuning;
}

export const DEFAULT_TUNING_GRID: Pick<MlserverTuningSettings, 'workers' | 'batching'> = {
  workers: [1, 2, 4],
  batching: [[1, 0], [8, 0.002], [32, 0.005], [64, 0.01], [128, 0.02]],
};

export async function runMlserverTuning(settings: MlserverTuningSettings, rows: readonly Row[]): Promise<MlserverTuningRun[]> {
  const runs: MlserverTuningRun[] = [];
  for (const parallelWorkers of settings.workers) {
    for (const [maxBatchSize, maxBatchTime] of settings.batching) {
      const tuning = { parallelWorkers, maxBatchSize, maxBatchTime };
      runs.push(
        await withSystem('mlserver', { mlserver: tuning }, async (system) => {
          const load = { url: system.url, path: system.path, bodies: rows.map((row) => system.body([row])), connections: settings.connections };
          if (settings.warmupS > 0) await closedLoop({ ...load, durationS: settings.warmupS });
          const result = await closedLoop({ ...load, durationS: settings.durationS });
          process.stderr.write(`mlserver workers=${parallelWorkers} max_batch_size=${maxBatchSize} max_batch_time=${maxBatchTime}: ${result.okPerSec.toFixed(0)} req/s (2xx), p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors + result.timeouts}\n`);
          return { tuning, ...result };
        }),
      );
    }
  }
  return runs;
}

/** The best run: most req/s among those without errors. */
export function bestTuning(runs: readonly MlserverTuningRun[]): MlserverTuningRun | undefined {
  return [...runs].filter((r) => r.errors + r.timeouts + r.non2xx === 0).sort((a, b) => b.okPerSec - a.okPerSec)[0];
}
