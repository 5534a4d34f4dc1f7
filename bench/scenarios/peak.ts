/**
 * Scenario: single-row predictions at a fixed number of connections (64),
 * each system in turn, closed loop (autocannon). Every system gets the same
 * rows; MLServer gets them through its own V2 endpoint.
 */
import type { Row } from '../../src/model/row-schema.js';
import { closedLoop, type ClosedLoopResult } from '../lib/closed-loop.js';
import { batchesBetween, batchTotals } from '../lib/gateway-metrics.js';
import { withSystem, type SystemOptions } from '../lib/systems/start-system.js';
import type { SystemName } from '../lib/systems/system.js';

export interface PeakSettings {
  readonly systems: readonly SystemName[];
  readonly connections: number;
  readonly durationS: number;
  readonly warmupS: number;
}

export interface PeakRun extends ClosedLoopResult {
  readonly system: SystemName;
  readonly systemSettings: Readonly<Record<string, unknown>>;
  /** Gateway only: batches during the measured run and their mean rows. */
  readonly batches: { readonly count: number; readonly meanRows: number } | null;
}

export async function runPeak(settings: PeakSettings, rows: readonly Row[], options: SystemOptions): Promise<PeakRun[]> {
  const runs: PeakRun[] = [];
  for (const name of settings.systems) {
    runs.push(
      await withSystem(name, options, async (system) => {
        const load = { url: system.url, path: system.path, bodies: rows.map((row) => system.body([row])), connections: settings.connections };
        // Warm-up lets V8 and the Python processes reach every code path before anything is recorded.
        if (settings.warmupS > 0) await closedLoop({ ...load, durationS: settings.warmupS });
        const before = name.startsWith('gateway') ? await batchTotals(system.url) : null;
        const result = await closedLoop({ ...load, durationS: settings.durationS });
        const batches = name.startsWith('gateway') ? batchesBetween(before, await batchTotals(system.url)) : null;
        const run: PeakRun = { system: name, systemSettings: system.settings, ...result, batches };
        process.stderr.write(`peak ${name}: ${run.okPerSec.toFixed(0)} req/s (2xx; all answers ${run.reqPerSec.toFixed(0)}), p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms, errors ${run.errors + run.timeouts}, non-2xx ${run.non2xx}${batches ? `, ${batches.meanRows} rows/batch` : ''}\n`);
        return run;
      }),
    );
  }
  return runs;
}
