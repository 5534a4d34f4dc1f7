/**
 * Scenario: one connection, one request at a time, each system in turn;
 * against the model's own in-process batch-of-1 time, measured in the same
 * run, to give the latency each system adds.
 */
import type { Row } from '../../src/model/row-schema.js';
import { rawModelTime, type RawModelTime } from '../lib/raw-model-time.js';
import { rawOnnxTime } from '../lib/raw-onnx-time.js';
import { sequentialLoad, type SequentialResult } from '../lib/sequential-load.js';
import { withSystem, type SystemOptions } from '../lib/systems/start-system.js';
import type { SystemName } from '../lib/systems/system.js';

export interface LowLoadSettings {
  readonly systems: readonly SystemName[];
  readonly durationS: number;
  /** predict() calls timed in-process for the raw figure. */
  readonly rawRepeats: number;
}

export interface LowLoadRun extends SequentialResult {
  readonly system: SystemName;
  /** p50 round trip minus the raw model's median (gateway-onnx: the ONNX session's); null for the ceiling, which runs no model. */
  readonly addedP50Ms: number | null;
}

export interface LowLoadResult {
  readonly rawModel: RawModelTime;
  /** The census ONNX export's own `session.run` of one row, in-process, when gateway-onnx ran. */
  readonly rawOnnx?: RawModelTime;
  readonly runs: readonly LowLoadRun[];
}

export async function runLowLoad(settings: LowLoadSettings, rows: readonly Row[], options: SystemOptions): Promise<LowLoadResult> {
  const runs: LowLoadRun[] = [];
  let raw: RawModelTime | undefined;
  let rawOnnx: RawModelTime | undefined;
  for (const name of settings.systems) {
    runs.push(
      await withSystem(name, options, async (system) => {
        // Timed next to each system run, then the lowest median kept: the
        // machine drifts, and the floor is what the model itself costs.
        const measured = name === 'gateway-onnx' ? (await rawOnnxTime([1], settings.rawRepeats * 5, rows))[0]! : rawModelTime([1], settings.rawRepeats)[0]!;
        if (name === 'gateway-onnx') {
          if (rawOnnx === undefined || measured.medianMs < rawOnnx.medianMs) rawOnnx = measured;
        } else if (raw === undefined || measured.medianMs < raw.medianMs) raw = measured;
        const result = await sequentialLoad({ url: system.url, path: system.path, bodies: rows.map((row) => system.body([row])), durationS: settings.durationS });
        process.stderr.write(`low-load ${name}: p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms (raw model median ${measured.medianMs} ms)\n`);
        return { system: name, ...result, addedP50Ms: null };
      }),
    );
  }
  raw ??= rawModelTime([1], settings.rawRepeats)[0]!;
  const floorOf = (system: SystemName): number => (system === 'gateway-onnx' ? rawOnnx!.medianMs : raw!.medianMs);
  return {
    rawModel: raw,
    ...(rawOnnx === undefined ? {} : { rawOnnx }),
    runs: runs.map((run) => ({ ...run, addedP50Ms: run.system === 'ceiling' ? null : Math.round((run.latencyMs.p50 - floorOf(run.system)) * 1000) / 1000 })),
  };
}
