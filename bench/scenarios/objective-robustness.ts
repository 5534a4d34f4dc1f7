/**
 * Scenarios "busy-machine" and "slow-model": does the latency objective ever
 * cost goodput? Each measures the gateway with its objective against the same
 * gateway with none (`--latency-slo-ms 3600000`), closed loop (64 connections
 * of single rows to each), every gateway freshly started and measured from its
 * first request (the cold start is where the cost model used to learn the
 * wrong thing). The two gateways run at the same time, side by side, so that
 * whatever else the machine does (it may be busy, and drift by 2× between
 * runs) it does to both alike; several such rounds (four by default), and the
 * ratio is of the summed answers. Which of the two gets more of the shared
 * cores in a round is chance: a run of two rounds whose gateways batched
 * alike and refused nothing read 0.88, so two were too few for a ratio held
 * to 0.9 on every run.
 *
 * - busy-machine: the census model with two CPU-burning processes per core,
 *   started before the gateways and running through every round.
 * - slow-model: the test model whose every batch costs 150 ms (plus 0.1 ms a
 *   row) against its own objective of 100 ms.
 * - batched-clients: the test model whose every batch costs 20 ms plus
 *   0.05 ms a row, to clients of 32-row requests (2,048 rows outstanding, a
 *   queue deeper than the round of batches that fit the objective). Under a
 *   100 ms objective the 600 rows that fit in half of it keep 83 % of a full
 *   batch's throughput: at the default `--latency-slo-max-cost` (0.1) that
 *   price is too high, the objective reads infeasible and batches go for
 *   throughput; at 0.5 it read feasible, and a closed loop that deep was
 *   capped as if it were overload (0.94–0.95, 8.5–24 % refused).
 */
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT as ROOT } from '../../src/config/config.js';
import type { Row } from '../../src/model/row-schema.js';
import { startCpuHogs } from '../../test/helpers/cpu-hogs.js';
import { closedLoop, type ClosedLoopResult } from '../lib/closed-loop.js';
import { batchesBetween, batchTotals } from '../lib/gateway-metrics.js';
import { startGateway } from '../lib/gateway-process.js';

export interface RobustnessSettings {
  readonly connections: number;
  readonly durationS: number;
  /** Rounds, each with freshly started gateways; the ratio is of the sums. */
  readonly rounds: number;
  /** The objective of the "with" runs. */
  readonly objectiveMs: number;
}

export interface RobustnessRun extends ClosedLoopResult {
  readonly objective: boolean;
  readonly meanBatchRows: number | null;
}

export interface RobustnessResult {
  readonly scenario: 'busy-machine' | 'slow-model' | 'batched-clients';
  readonly description: string;
  readonly runs: readonly RobustnessRun[];
  /** Answers per second with the objective over answers per second without, summed over the runs. */
  readonly goodputRatio: number;
  /** Share of requests refused in the runs with the objective. */
  readonly refusedShare: number;
}

const NO_OBJECTIVE_MS = 3_600_000;
const SLOW_MODEL_DIR = path.join(ROOT, 'test', 'fixtures', 'models', 'slow');
const AMORTISING_MODEL_DIR = path.join(ROOT, 'test', 'fixtures', 'models', 'amortising');
const CENSUS_PYTHON = path.join(ROOT, 'models', 'census-income', '.venv', 'bin', 'python');

async function measurePair(settings: RobustnessSettings, bodies: readonly Buffer[], extraArgs: readonly string[]): Promise<RobustnessRun[]> {
  const start = (objective: boolean) => startGateway({ latencySloMs: objective ? settings.objectiveMs : NO_OBJECTIVE_MS, extraArgs, readyTimeoutMs: 180_000 });
  const gateways = await Promise.all([start(true), start(false)]);
  try {
    return await Promise.all(
      gateways.map(async (gateway, i) => {
        // A fresh gateway has no batch series yet: that is zero batches.
        const before = (await batchTotals(gateway.url)) ?? { count: 0, rows: 0 };
        const result = await closedLoop({ url: gateway.url, path: '/predict', bodies, connections: settings.connections, durationS: settings.durationS });
        const batches = batchesBetween(before, await batchTotals(gateway.url));
        return { ...result, objective: i === 0, meanBatchRows: batches?.meanRows ?? null };
      }),
    );
  } finally {
    await Promise.all(gateways.map((g) => g.stop()));
  }
}

async function compare(scenario: RobustnessResult['scenario'], description: string, settings: RobustnessSettings, bodies: readonly Buffer[], extraArgs: readonly string[] = []): Promise<RobustnessResult> {
  const runs: RobustnessRun[] = [];
  for (let round = 0; round < settings.rounds; round++) {
    for (const run of await measurePair(settings, bodies, extraArgs)) {
      process.stderr.write(`${scenario} ${run.objective ? 'objective' : 'none     '}: ${run.okPerSec.toFixed(0)} answers/s, ${run.non2xx} refused, p99 ${run.latencyMs.p99} ms${run.meanBatchRows === null ? '' : `, ${run.meanBatchRows} rows/batch`}\n`);
      runs.push(run);
    }
  }
  const sum = (objective: boolean, read: (r: RobustnessRun) => number) => runs.filter((r) => r.objective === objective).reduce((a, r) => a + read(r), 0);
  const goodputRatio = sum(true, (r) => r.okPerSec) / Math.max(1e-9, sum(false, (r) => r.okPerSec));
  const refusedShare = sum(true, (r) => r.non2xx) / Math.max(1, sum(true, (r) => r.requests));
  process.stderr.write(`${scenario}: goodput with / without the objective ${goodputRatio.toFixed(2)}, ${(refusedShare * 100).toFixed(1)} % refused\n`);
  return { scenario, description, runs, goodputRatio: Math.round(goodputRatio * 1000) / 1000, refusedShare: Math.round(refusedShare * 10_000) / 10_000 };
}

export async function runBusyMachine(settings: RobustnessSettings, rows: readonly Row[]): Promise<RobustnessResult> {
  const count = 2 * os.cpus().length;
  const hogs = startCpuHogs(count, 30 * 60_000);
  try {
    const bodies = rows.map((row) => Buffer.from(JSON.stringify(row)));
    return await compare('busy-machine', `census-income, ${count} CPU hogs (2 per core) started before the gateways`, settings, bodies);
  } finally {
    await hogs.stop();
  }
}

export async function runSlowModel(settings: RobustnessSettings): Promise<RobustnessResult> {
  const bodies = Array.from({ length: 256 }, (_, x) => Buffer.from(JSON.stringify({ x })));
  return compare('slow-model', 'test model: 150 ms + 0.1 ms per row for every batch, objective 100 ms', settings, bodies, ['--model', SLOW_MODEL_DIR, '--worker-python', CENSUS_PYTHON]);
}

export async function runBatchedClients(settings: RobustnessSettings, rowsPerRequest: number): Promise<RobustnessResult> {
  const bodies = Array.from({ length: 64 }, (_, i) => Buffer.from(JSON.stringify({ instances: Array.from({ length: rowsPerRequest }, (_, x) => ({ x: i * rowsPerRequest + x })) })));
  const outstanding = settings.connections * rowsPerRequest;
  return compare(
    'batched-clients',
    `test model: 20 ms + 0.05 ms per row for every batch, ${settings.connections} connections of ${rowsPerRequest}-row requests (${outstanding.toLocaleString('en-US')} rows outstanding), objective ${settings.objectiveMs} ms`,
    settings,
    bodies,
    ['--model', AMORTISING_MODEL_DIR, '--worker-python', CENSUS_PYTHON],
  );
}
