/**
 * Scenario: the effect of batching on throughput (the talk's slide). The
 * gateway runs once per `--max-batch-rows` cap under a load deep enough to
 * fill the biggest cap (64 connections × 32-row requests = 2,048 rows
 * queued), and the model alone is timed in-process at the same batch sizes.
 * The latency objective is lifted for it: this measures what batching buys,
 * and admission control would refuse the deliberately slow small caps.
 */
import { DEFAULT_MAX_BATCH_ROWS } from '../../src/config/config.js';
import type { Row } from '../../src/model/row-schema.js';
import { closedLoop, type ClosedLoopResult } from '../lib/closed-loop.js';
import { batchesBetween, batchTotals } from '../lib/gateway-metrics.js';
import { rawModelTime, type RawModelTime } from '../lib/raw-model-time.js';
import { withSystem, type SystemOptions } from '../lib/systems/start-system.js';
import { requestBodies, type SystemName } from '../lib/systems/system.js';

export interface BatchingSettings {
  /** Which gateway: the Python workers (default) or the ONNX threads. */
  readonly system?: Extract<SystemName, 'gateway' | 'gateway-onnx'>;
  /** Times the model alone at these batch sizes (default: the Python model in-process). */
  readonly rawModel?: (sizes: readonly number[]) => Promise<RawModelTime[]>;
  /** Also run once with the latency objective and the default cap, to see which batch size the cost model picks. */
  readonly auto?: boolean;
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
  readonly system?: string;
  readonly rowsPerRequest: number;
  readonly runs: readonly BatchingRun[];
  /** With the objective on and the default cap: what the cost model chose, and what it served. */
  readonly auto?: BatchingRun & { readonly capRows: number | null };
  /** One process, no HTTP: N / predict(N rows) time. */
  readonly rawModel: readonly RawModelTime[];
}

async function capRows(url: string): Promise<number | null> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = /^gateway_batch_rows_cap\{[^}]*\} (\d+)/m.exec(text);
  return match ? Number(match[1]) : null;
}

export async function runBatching(settings: BatchingSettings, rows: readonly Row[], options: SystemOptions): Promise<BatchingResult> {
  const runs: BatchingRun[] = [];
  const name = settings.system ?? 'gateway';
  const runAt = (gateway: SystemOptions['gateway'], maxBatchRows: number): Promise<BatchingRun & { capRows: number | null }> =>
    withSystem(name, { ...options, gateway }, async (system) => {
      const bodies = requestBodies(system, rows, settings.rowsPerRequest);
      const load = { url: system.url, path: system.path, bodies, connections: settings.connections };
      if (settings.warmupS > 0) await closedLoop({ ...load, durationS: settings.warmupS });
      const before = await batchTotals(system.url);
      const result = await closedLoop({ ...load, durationS: settings.durationS });
      const batches = batchesBetween(before, await batchTotals(system.url));
      const run = { maxBatchRows, ...result, rowsPerSec: Math.round(result.okPerSec * settings.rowsPerRequest), batches, capRows: await capRows(system.url) };
      process.stderr.write(`batching ${name} max ${maxBatchRows} rows: ${run.rowsPerSec} rows/s, p99 ${run.latencyMs.p99} ms, ${batches?.meanRows ?? '?'} rows/batch (cap ${run.capRows ?? '?'}), non-2xx ${run.non2xx}\n`);
      return run;
    });
  for (const maxBatchRows of settings.maxBatchRows) {
    runs.push(
      // Throughput against batch size, not admission: with the latency objective on,
      // small caps would be refused (a 32-row request at 1 row per batch cannot meet 100 ms).
      await runAt({ ...options.gateway, maxBatchRows, latencySloMs: 3_600_000 }, maxBatchRows),
    );
  }
  // The gateway as it starts by default: the objective on, the cap left to the cost model under --max-batch-rows' default.
  const auto = settings.auto ? await runAt({ ...options.gateway }, options.gateway?.maxBatchRows ?? DEFAULT_MAX_BATCH_ROWS) : undefined;
  const rawModel = await (settings.rawModel ?? ((sizes) => Promise.resolve(rawModelTime(sizes, settings.rawRepeats))))(settings.maxBatchRows);
  return { system: name, rowsPerRequest: settings.rowsPerRequest, runs, ...(auto === undefined ? {} : { auto }), rawModel };
}
