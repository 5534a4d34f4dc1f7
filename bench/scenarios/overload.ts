/**
 * Scenario: fixed-rate load at a multiple (2x) of the gateway's measured
 * peak. A closed-loop client would slow down with the server and hide the
 * overload, so this one sends on a schedule (bench/lib/open-loop.ts) and
 * reports what came back: goodput, latency of the accepted requests, the
 * share refused (503/429) and how fast the refusals came.
 */
import type { Row } from '../../src/model/row-schema.js';
import { latencyHistograms, objectiveFeasible, shareAbove, type LatencyHistograms } from '../lib/gateway-metrics.js';
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
  /** Gateways: the same measured seconds on the gateway's own clock (its histograms), so a miss shows where the time went. */
  readonly gatewaySide?: GatewaySideLatency | null;
}

/**
 * Shares of the measured window above a bound, from the gateway's own
 * histograms: what the client measures also holds the client's own delays
 * (it shares the cores; see `sendLagMs`), and the time a request waited for
 * the gateway's event loop before the route saw it.
 */
export interface GatewaySideLatency {
  /** Answered requests the gateway counted in the measured window. */
  readonly answered: number;
  /** Of those, the share answered later than the objective, arrival at the route to the answer. */
  readonly overObjective: number | null;
  /** Share of rows that waited in the engine's queue longer than half the objective (the part admission bounds). */
  readonly queueOverHalf: number | null;
  /** Share of batches that ran longer than half the objective (the batch cap's budget). */
  readonly batchesOverHalf: number | null;
}

export function gatewaySide(before: LatencyHistograms | null, after: LatencyHistograms | null, objectiveMs: number): GatewaySideLatency | null {
  if (after === null) return null;
  const request = shareAbove(before?.request, after.request, objectiveMs / 1000);
  return {
    answered: request.count,
    overObjective: request.share,
    queueOverHalf: shareAbove(before?.queueWait, after.queueWait, objectiveMs / 2000).share,
    batchesOverHalf: shareAbove(before?.batch, after.batch, objectiveMs / 2000).share,
  };
}

const percent = (share: number | null | undefined): string => (share === null || share === undefined ? '?' : `${(share * 100).toFixed(1)} %`);

/** One line on the gateway's own view of the run, for the console and RESULTS.md. */
export function gatewaySideText(side: GatewaySideLatency, objectiveMs: number): string {
  return (
    `on the gateway's own clock, ${percent(side.overObjective)} of the ${side.answered} answered requests took longer than the objective (${objectiveMs} ms) from arrival at the route; ` +
    `${percent(side.queueOverHalf)} of rows waited in its queue longer than half of it, and ${percent(side.batchesOverHalf)} of batches ran longer than half of it`
  );
}

export async function runOverload(settings: OverloadSettings, rows: readonly Row[], options: SystemOptions): Promise<OverloadRun[]> {
  const runs: OverloadRun[] = [];
  for (const name of settings.systems) {
    runs.push(
      await withSystem(name, options, async (system) => {
        const isGateway = name.startsWith('gateway');
        let before: Promise<LatencyHistograms | null> = Promise.resolve(null);
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
          onMeasureStart: () => {
            if (isGateway) before = latencyHistograms(system.url);
          },
        });
        const refusedShare = result.sent === 0 ? 0 : Math.round((result.refused / result.sent) * 1000) / 1000;
        const feasible = isGateway ? await objectiveFeasible(system.url) : undefined;
        const side = isGateway ? gatewaySide(await before, await latencyHistograms(system.url), settings.objectiveMs) : undefined;
        process.stderr.write(
          `overload ${name} at ${settings.ratePerSec} req/s: goodput ${result.okPerSec} req/s, p99 accepted ${result.okLatencyMs.p99.toFixed(1)} ms, ` +
            `refused ${(refusedShare * 100).toFixed(1)} % (p99 ${result.refusedLatencyMs.p99.toFixed(2)} ms), errors ${result.errors}, other ${result.otherNon2xx}, not sent ${result.notSent}` +
            (feasible === undefined ? '' : `, objective feasible at the end: ${feasible === null ? 'not reported' : feasible ? 'yes' : 'no'}`) +
            (side ? `; ${gatewaySideText(side, settings.objectiveMs)}; client send lag p99 ${result.sendLagMs.p99.toFixed(1)} ms` : '') +
            '\n',
        );
        return {
          system: name,
          systemSettings: system.settings,
          ...result,
          refusedShare,
          ...(feasible === undefined ? {} : { objectiveFeasible: feasible }),
          ...(side === undefined ? {} : { gatewaySide: side }),
        };
      }),
    );
  }
  return runs;
}
