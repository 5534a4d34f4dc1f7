/**
 * Scenario: the effect of batching on throughput (the talk's slide). The
 * gateway runs once per `--max-batch-rows` cap under a load deep enough to
 * fill the biggest cap (64 connections × 32-row requests = 2,048 rows
 * queued), and the model alone is timed in-process at the same batch sizes.
 * The latency objective is lifted for it: this measures what batching buys,
 * and admission control would refuse the deliberately slow small caps.
 */
import type { Row } from '../../src/model/row-schema.js';
import { closedLoop, type ClosedLoopResult } from '../lib/closed-loop.js';
import { batchesBetween, batchTotals } from '../lib/gateway-metrics.js';
import { rawModelTime, type RawModelTime } from '../lib/raw-model-time.js';
import { withSystem, type SystemOptions } from '../lib/systems/start-system.js';

export interface BatchingSettings {
  readonly maxBatchRows: readonly number[];
  readonly rowsPerRequest: number;
  readonly connections: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly rawRepeats: number;
}

export interface BatchingRun extends ClosedLoopResult {
  readonly maxBatchRows: number;
  readonly rowsPerSec: number;
  readonly batches: { readonly count: number; readonly meanRows: number } | null;
}

export interface BatchingResult {
  readonly rowsPerRequest: number;
  readonly runs: readonly BatchingRun[];
  /** One process, no HTTP: N / predict(N rows) time. */
  readonly rawModel: readonly RawModelTime[];
}

export async function runBatching(settings: BatchingSettings, rows: readonly Row[], options: SystemOptions): Promise<BatchingResult> {
  const runs: BatchingRun[] = [];
  for (const maxBatchRows of settings.maxBatchRows) {
    runs.push(
      // Throughput against batch size, not admission: with the latency objective on,
      // small caps would be refused (a 32-row request at 1 row per batch cannot meet 100 ms).
      await withSystem('gateway', { ...options, gateway: { ...options.gateway, maxBatchRows, latencySloMs: 3_600_000 } }, async (system) => {
        const bodies: Buffer[] = [];
        for (let i = 0; i + settings.rowsPerRequest <= rows.length; i += settings.rowsPerRequest) bodies.push(system.body(rows.slice(i, i + settings.rowsPerRequest)));
        const load = { url: system.url, path: system.path, bodies, connections: settings.connections };
        if (settings.warmupS > 0) await closedLoop({ ...load, durationS: settings.warmupS });
        const before = await batchTotals(system.url);
        const result = await closedLoop({ ...load, durationS: settings.durationS });
        const batches = batchesBetween(before, await batchTotals(system.url));
        const run = { maxBatchRows, ...result, rowsPerSec: Math.round(result.okPerSec * settings.rowsPerRequest), batches };
        process.stderr.write(`batching max ${maxBatchRows} rows: ${run.rowsPerSec} rows/s, p99 ${run.latencyMs.p99} ms, ${batches?.meanRows ?? '?'} rows/batch, non-2xx ${run.non2xx}\n`);
        return run;
      }),
    );
  }
  const rawModel = rawModelTime(settings.maxBatchRows, settings.rawRepeats);
  return { rowsPerRequest: settings.rowsPerRequest, runs, rawModel };
}
