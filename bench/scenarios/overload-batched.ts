/**
 * Scenario "overload-batched": overload past the gateway's capacity, not
 * only past a closed loop's. The "overload" scenario offers twice what 64
 * connections of single rows get, which the gateway absorbs with bigger
 * batches (often nothing is refused, so nothing there is excess). Here the
 * requests carry 32 rows each, so that 64 connections fill the biggest
 * batches, and the open loop offers twice that closed loop's goodput: more
 * rows than the workers can compute, with the client sending a few hundred
 * requests a second instead of thousands (it shares the cores).
 *
 * One freshly started gateway, with its objective: a warm-up, the closed
 * loop (the peak of these requests), then the open loop at twice it.
 */
import type { Row } from '../../src/model/row-schema.js';
import { closedLoop, type ClosedLoopResult } from '../lib/closed-loop.js';
import { latencyHistograms, objectiveFeasible, type LatencyHistograms } from '../lib/gateway-metrics.js';
import { openLoop, type OpenLoopResult } from '../lib/open-loop.js';
import { TreeUsage } from '../lib/process-cpu.js';
import { withSystem, type SystemOptions } from '../lib/systems/start-system.js';
import { requestBodies } from '../lib/systems/system.js';
import { gatewaySide, gatewaySideText, type GatewaySideLatency } from './overload.js';

export interface OverloadBatchedSettings {
  readonly rowsPerRequest: number;
  readonly connections: number;
  /** Measured seconds of the closed loop and of the open loop, each. */
  readonly durationS: number;
  readonly warmupS: number;
  /** The open loop's rate over the closed loop's goodput. */
  readonly factor: number;
  readonly objectiveMs: number;
  readonly openConnections: number;
  readonly timeoutMs: number;
}

/** Cores used on average over a measured window. */
export interface PhaseCores {
  /** The gateway's Node process. */
  readonly gateway: number;
  /** Its Python workers. */
  readonly workers: number;
  /**
   * The load generator, which shares the cores with them. The open loop's
   * is over its warm-up too, sent at the same rate as the measured seconds.
   */
  readonly client: number;
}

export interface OverloadBatchedResult {
  readonly rowsPerRequest: number;
  readonly factor: number;
  /** The closed loop: the peak of these requests. */
  readonly peak: ClosedLoopResult;
  readonly open: OpenLoopResult;
  /** Open-loop goodput over the closed loop's, in requests (the same rows each). */
  readonly ofPeak: number;
  readonly refusedShare: number;
  readonly objectiveFeasible: boolean | null;
  readonly gatewaySide: GatewaySideLatency | null;
  /**
   * Where the cores went in each loop. The open loop's client costs several
   * times the closed loop's (a new request on schedule, a new connection
   * after each refusal made before its body was read), and on shared cores
   * that CPU comes out of the workers' share. Absent from results written
   * before it was measured.
   */
  readonly cores?: { readonly closed: PhaseCores; readonly open: PhaseCores | null };
}

/** Starts measuring the gateway's process tree; the function returned stops and reports, with the client's share. */
function measureCores(pid: number): (clientCpuPercent: number) => PhaseCores {
  const usage = new TreeUsage(pid);
  return (clientCpuPercent) => {
    const used = usage.stop();
    return { gateway: used.rootCores, workers: used.childCores, client: Math.round(clientCpuPercent) / 100 };
  };
}

export async function runOverloadBatched(settings: OverloadBatchedSettings, rows: readonly Row[], options: SystemOptions): Promise<OverloadBatchedResult> {
  return withSystem('gateway', options, async (system) => {
    const bodies = requestBodies(system, rows, settings.rowsPerRequest);
    const load = { url: system.url, path: system.path, bodies, connections: settings.connections };
    if (settings.warmupS > 0) await closedLoop({ ...load, durationS: settings.warmupS });
    const closedCores = measureCores(system.pid);
    const peak = await closedLoop({ ...load, durationS: settings.durationS });
    const closed = closedCores(peak.clientCpuPercent);
    const k = settings.rowsPerRequest;
    process.stderr.write(`overload-batched: closed loop ${peak.okPerSec.toFixed(0)} req/s of ${k} rows (${(peak.okPerSec * k).toFixed(0)} rows/s), p99 ${peak.latencyMs.p99} ms, non-2xx ${peak.non2xx}\n`);

    let before: Promise<LatencyHistograms | null> = Promise.resolve(null);
    let openCores: ((clientCpuPercent: number) => PhaseCores) | undefined;
    const open = await openLoop({
      url: system.url,
      path: system.path,
      bodies,
      ratePerSec: Math.round(peak.okPerSec * settings.factor),
      durationS: settings.durationS,
      warmupS: settings.warmupS,
      connections: settings.openConnections,
      objectiveMs: settings.objectiveMs,
      timeoutMs: settings.timeoutMs,
      onMeasureStart: () => {
        before = latencyHistograms(system.url);
        openCores = measureCores(system.pid);
      },
    });
    const cores = { closed, open: openCores === undefined ? null : openCores(open.clientCpuPercent) };
    const side = gatewaySide(await before, await latencyHistograms(system.url), settings.objectiveMs);
    const result: OverloadBatchedResult = {
      rowsPerRequest: k,
      factor: settings.factor,
      peak,
      open,
      ofPeak: Math.round((open.okPerSec / Math.max(1e-9, peak.okPerSec)) * 1000) / 1000,
      refusedShare: open.sent === 0 ? 0 : Math.round((open.refused / open.sent) * 1000) / 1000,
      objectiveFeasible: await objectiveFeasible(system.url),
      gatewaySide: side,
      cores,
    };
    process.stderr.write(
      `overload-batched: open loop ${open.ratePerSec} req/s: goodput ${open.okPerSec} req/s (${(result.ofPeak * 100).toFixed(0)} % of the closed loop), ` +
        `p50 / p99 accepted ${open.okLatencyMs.p50.toFixed(1)} / ${open.okLatencyMs.p99.toFixed(1)} ms, refused ${(result.refusedShare * 100).toFixed(1)} % ` +
        `(p99 ${open.refusedLatencyMs.p99.toFixed(2)} ms), errors ${open.errors}, objective feasible at the end: ${result.objectiveFeasible ?? 'not reported'}` +
        (side ? `; ${gatewaySideText(side, settings.objectiveMs)}` : '') +
        `; ${coresText(cores, k, peak.okPerSec, open.okPerSec)}` +
        '\n',
    );
    return result;
  });
}

/** "Cores used (closed loop → open loop): …", and the rows each worker CPU-second computed in each. */
export function coresText(cores: NonNullable<OverloadBatchedResult['cores']>, rowsPerRequest: number, closedOkPerSec: number, openOkPerSec: number): string {
  const { closed, open } = cores;
  if (open === null) return `cores used in the closed loop: workers ${closed.workers}, the gateway's Node process ${closed.gateway}, the load generator ${closed.client}`;
  const perWorkerCpu = (okPerSec: number, c: PhaseCores) => Math.round((okPerSec * rowsPerRequest) / Math.max(1e-9, c.workers)).toLocaleString('en-US');
  return (
    `cores used (closed loop → open loop): workers ${closed.workers} → ${open.workers}, the gateway's Node process ${closed.gateway} → ${open.gateway}, ` +
    `the load generator ${closed.client} → ${open.client}; rows per worker CPU-second ${perWorkerCpu(closedOkPerSec, closed)} → ${perWorkerCpu(openOkPerSec, open)}`
  );
}
