/**
 * Scenario: fixed-rate load at a multiple (2x) of the gateway's measured
 * peak. A closed-loop client would slow down with the server and hide the
 * overload, so this one sends on a schedule (bench/lib/open-loop.ts) and
 * reports what came back: goodput, latency of the accepted requests, the
 * share refused (503/429) and how fast the refusals came.
 */
import type { Row } from '../../src/model/row-schema.js';
import { objectiveFeasible } from '../lib/gateway-metrics.js';
import { openLoop, type OpenLoopResult } from '../lib/open-loop.js';
import { withSystem, type SystemOptions } from '../lib/systems/start-system.js';
import type { SystemName } from '../lib/systems/system.js';

export interface OverloadSettings {
  readonly systems: readonly SystemName[];
  /** Requests per second offered to every system. */
  readonly ratePerSec: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly connections: number;
  /** The latency objective the accepted requests are held to. */
  readonly objectiveMs: number;
  readonly timeoutMs: number;
}

export interface OverloadRun extends OpenLoopResult {
  readonly system: SystemName;
  readonly systemSettings: Readonly<Record<string, unknown>>;
  /** refused / sent. */
  readonly refusedShare: number;
  /**
   * Gateways: whether they judged the objective feasible at the end of the run
   * (null: not reported). When it is not (a one-row batch over half the
   * objective on this machine now), no admission can hold accepted rows to it.
   */
  readonly objectiveFeasible?: boolean | null;
}

export async function runOverload(settings: OverloadSettings, rows: readonly Row[], options: SystemOptions): Promise<OverloadRun[]> {
  const runs: OverloadRun[] = [];
  for (const name of settings.systems) {
    runs.push(
      await withSystem(name, options, async (system) => {
        const result = await openLoop({
          url: system.url,
          path: system.path,
          bodies: rows.map((row) => system.body([row])),
          ratePerSec: settings.ratePerSec,
          durationS: settings.durationS,
          warmupS: settings.warmupS,
          connections: settings.connections,
          objectiveMs: settings.objectiveMs,
          timeoutMs: settings.timeoutMs,
        });
        const refusedShare = result.sent === 0 ? 0 : Math.round((result.refused / result.sent) * 1000) / 1000;
        const feasible = name.startsWith('gateway') ? await objectiveFeasible(system.url) : undefined;
        process.stderr.write(
          `overload ${name} at ${settings.ratePerSec} req/s: goodput ${result.okPerSec} req/s, p99 accepted ${result.okLatencyMs.p99.toFixed(1)} ms, ` +
            `refused ${(refusedShare * 100).toFixed(1)} % (p99 ${result.refusedLatencyMs.p99.toFixed(2)} ms), errors ${result.errors}, other ${result.otherNon2xx}, not sent ${result.notSent}` +
            (feasible === undefined ? '' : `, objective feasible at the end: ${feasible === null ? 'not reported' : feasible ? 'yes' : 'no'}`) +
            '\n',
        );
        return { system: name, systemSettings: system.settings, ...result, refusedShare, ...(feasible === undefined ? {} : { objectiveFeasible: feasible }) };
      }),
    );
  }
  return runs;
}
