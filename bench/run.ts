/**
 * `npm run bench`: every scenario, every system, side by side in one run.
 * Installs the peers (bench/.peers/), runs the scenarios, writes
 * bench/results/<date>.json, bench/charts/*.svg and the generated section of
 * bench/RESULTS.md. Flags in bench/README.md.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT as ROOT } from '../src/config/config.js';
import { readAdult } from '../test/helpers/adult.js';
import { writeComparisonCharts } from './lib/comparison-charts.js';
import { prepareGatewayModel } from './lib/gateway-process.js';
import { CENSUS_ONNX_DIR, rawOnnxTime } from './lib/raw-onnx-time.js';
import { replaceSection } from './lib/markdown-section.js';
import { censusModelInfo } from './lib/model-info.js';
import { loadOptionalScenario } from './lib/optional-scenario.js';
import { loadAverage, machine, writeDatedResult } from './lib/results.js';
import { resultsMarkdown, robustnessMarkdown } from './lib/results-markdown.js';
import type { RunResult } from './lib/run-result.js';
import { Settings } from './lib/settings.js';
import { defaultMlserverTuning } from './lib/systems/mlserver.js';
import { setupSystems, type SystemOptions } from './lib/systems/start-system.js';
import { SYSTEM_NAMES, type SystemName } from './lib/systems/system.js';
import { checkTargets } from './lib/targets.js';
import { runBatching } from './scenarios/batching.js';
import { runBatchedClients, runBusyMachine, runSlowModel } from './scenarios/objective-robustness.js';
import { runLowLoad } from './scenarios/low-load.js';
import { bestTuning, DEFAULT_TUNING_GRID, runMlserverTuning } from './scenarios/mlserver-tuning.js';
import { runOverload } from './scenarios/overload.js';
import { runOverloadBatched } from './scenarios/overload-batched.js';
import { runPeak } from './scenarios/peak.js';

const SCENARIOS = ['peak', 'low-load', 'overload', 'overload-batched', 'batching', 'batching-onnx', 'busy-machine', 'slow-model', 'batched-clients', 'mlserver-tuning', 'kafka', 'worker-efficiency'] as const;
type Scenario = (typeof SCENARIOS)[number];
const DEFAULT_SCENARIOS: readonly Scenario[] = ['peak', 'low-load', 'overload', 'overload-batched', 'batching', 'batching-onnx', 'busy-machine', 'slow-model', 'batched-clients'];

const FLAGS = [
  'scenarios', 'systems', 'duration', 'warmup', 'connections', 'rows', 'workers', 'max-batch-rows', 'slo-ms',
  'low-load-duration', 'raw-repeats', 'overload-factor', 'overload-rate', 'overload-duration', 'overload-systems', 'overload-connections', 'overload-timeout-ms',
  'batch-rows', 'batching-request-rows', 'batching-duration', 'robustness-duration', 'robustness-rounds', 'overload-request-rows',
  'mlserver-workers', 'mlserver-max-batch-size', 'mlserver-max-batch-time', 'tuning-duration',
  'markdown', 'setup-only',
] as const;

function pythonVersion(): string {
  const result = spawnSync(path.join(ROOT, 'models', 'census-income', '.venv', 'bin', 'python'), ['--version'], { encoding: 'utf8' });
  return (result.stdout || result.stderr || 'Python ?').trim();
}

async function main(): Promise<void> {
  const settings = new Settings(FLAGS);
  const scenarioArg = settings.string('scenarios', 'BENCH_SCENARIOS');
  const scenarios: Scenario[] = scenarioArg === 'all' ? [...DEFAULT_SCENARIOS, 'kafka', 'worker-efficiency'] : settings.names('scenarios', 'BENCH_SCENARIOS', SCENARIOS, DEFAULT_SCENARIOS);
  const systems = settings.names('systems', 'BENCH_SYSTEMS', SYSTEM_NAMES, SYSTEM_NAMES);
  const durationS = settings.int('duration', 'BENCH_DURATION', 20);
  const warmupS = settings.int('warmup', 'BENCH_WARMUP', 3, 0);
  const connections = settings.int('connections', 'BENCH_CONNECTIONS', 64);
  const rowCount = settings.int('rows', 'BENCH_ROWS', 1024);
  const model = censusModelInfo();
  const objectiveMs = settings.int('slo-ms', 'BENCH_SLO_MS', model.objectiveMs ?? 100);
  const mlDefaults = defaultMlserverTuning();
  const options: SystemOptions = {
    gateway: { workers: settings.optionalInt('workers', 'BENCH_WORKERS'), maxBatchRows: settings.optionalInt('max-batch-rows', 'BENCH_MAX_BATCH_ROWS'), latencySloMs: objectiveMs },
    mlserver: {
      parallelWorkers: settings.optionalInt('mlserver-workers', 'BENCH_MLSERVER_WORKERS') ?? mlDefaults.parallelWorkers,
      maxBatchSize: settings.optionalInt('mlserver-max-batch-size', 'BENCH_MLSERVER_MAX_BATCH_SIZE') ?? mlDefaults.maxBatchSize,
      maxBatchTime: settings.optionalNumber('mlserver-max-batch-time', 'BENCH_MLSERVER_MAX_BATCH_TIME') ?? mlDefaults.maxBatchTime,
    },
  };
  const overloadSystems = settings.names('overload-systems', 'BENCH_OVERLOAD_SYSTEMS', SYSTEM_NAMES, ['gateway', 'mlserver']).filter((s) => systems.includes(s));
  const overloadConnections = settings.int('overload-connections', 'BENCH_OVERLOAD_CONNECTIONS', 1024);

  const started = Date.now();
  const before = loadAverage();
  if (before[0]! > os.cpus().length / 2) process.stderr.write(`bench: load average ${before[0]} before start: something else is busy, figures will be low\n`);

  // Setup first, so installs never overlap a measurement.
  prepareGatewayModel();
  if (systems.includes('gateway-onnx') || scenarios.includes('batching-onnx')) prepareGatewayModel(CENSUS_ONNX_DIR);
  const needed = new Set<SystemName>(systems);
  if (scenarios.includes('mlserver-tuning')) needed.add('mlserver');
  await setupSystems([...needed]);
  if (settings.bool('setup-only', 'BENCH_SETUP_ONLY', false)) {
    process.stderr.write('bench: peers are set up\n');
    return;
  }

  const rows = readAdult().slice(0, rowCount).map(({ row }) => row);
  const extra: Record<string, unknown> = {};
  const result: { -readonly [K in keyof RunResult]: RunResult[K] } = {
    date: new Date().toISOString(),
    command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    machine: { ...machine(), python: pythonVersion() },
    loadAverage: { before, after: [] },
    model: model.name,
    objectiveMs,
    durationS: 0,
    settings: { scenarios, systems, durationS, warmupS, connections, rows: rowCount, overloadConnections, gateway: options.gateway, mlserver: options.mlserver },
    extra,
  };

  // Rows in each request where requests carry several: the batching sweeps and batched-clients.
  const batchingRequestRows = (): number => settings.int('batching-request-rows', 'BENCH_BATCHING_REQUEST_ROWS', 32);
  // The batch caps, request size and time of both batching sweeps (Python and ONNX runtimes).
  const batchingSweep = () => ({
    maxBatchRows: settings.intList('batch-rows', 'BENCH_BATCH_ROWS', [1, 8, 64, 256, 1024]),
    rowsPerRequest: batchingRequestRows(),
    connections,
    durationS: settings.int('batching-duration', 'BENCH_BATCHING_DURATION', Math.min(durationS, 15)),
    warmupS,
  });
  for (const scenario of scenarios) {
    process.stderr.write(`\n== ${scenario} ==\n`);
    switch (scenario) {
      case 'peak':
        result.peak = await runPeak({ systems, connections, durationS, warmupS }, rows, options);
        break;
      case 'low-load':
        result.lowLoad = await runLowLoad(
          { systems, durationS: settings.int('low-load-duration', 'BENCH_LOW_LOAD_DURATION', 10), rawRepeats: settings.int('raw-repeats', 'BENCH_RAW_REPEATS', 200) },
          rows,
          options,
        );
        break;
      case 'overload': {
        let rate = settings.optionalInt('overload-rate', 'BENCH_OVERLOAD_RATE');
        if (rate === undefined) {
          let peak = result.peak?.find((r) => r.system === 'gateway')?.okPerSec;
          if (peak === undefined) {
            process.stderr.write('overload: no gateway peak in this run yet; measuring it first\n');
            peak = (await runPeak({ systems: ['gateway'], connections, durationS: Math.min(durationS, 10), warmupS }, rows, options))[0]!.okPerSec;
          }
          rate = Math.round(peak * (settings.optionalNumber('overload-factor', 'BENCH_OVERLOAD_FACTOR') ?? 2));
        }
        result.overload = await runOverload(
          {
            systems: overloadSystems,
            ratePerSec: rate,
            durationS: settings.int('overload-duration', 'BENCH_OVERLOAD_DURATION', durationS),
            warmupS,
            connections: overloadConnections,
            objectiveMs,
            timeoutMs: settings.int('overload-timeout-ms', 'BENCH_OVERLOAD_TIMEOUT_MS', 10_000),
          },
          rows,
          options,
        );
        break;
      }
      case 'overload-batched':
        result.overloadBatched = await runOverloadBatched(
          {
            rowsPerRequest: settings.int('overload-request-rows', 'BENCH_OVERLOAD_REQUEST_ROWS', 32),
            connections,
            durationS: settings.int('overload-duration', 'BENCH_OVERLOAD_DURATION', Math.min(durationS, 10)),
            warmupS,
            factor: settings.optionalNumber('overload-factor', 'BENCH_OVERLOAD_FACTOR') ?? 2,
            objectiveMs,
            openConnections: overloadConnections,
            timeoutMs: settings.int('overload-timeout-ms', 'BENCH_OVERLOAD_TIMEOUT_MS', 10_000),
          },
          rows,
          options,
        );
        break;
      case 'batching':
        result.batching = await runBatching({ ...batchingSweep(), rawRepeats: 30 }, rows, options);
        break;
      case 'batching-onnx':
        // ONNX Runtime's cost is nearly all per row (scikit-learn's mostly per call): a different curve, and the cost model must find its cap alone.
        result.batchingOnnx = await runBatching(
          { ...batchingSweep(), system: 'gateway-onnx', rawModel: (sizes) => rawOnnxTime(sizes, 200, rows), auto: true, rawRepeats: 200 },
          rows,
          options,
        );
        break;
      case 'busy-machine':
      case 'slow-model':
      case 'batched-clients': {
        const robustness = {
          connections,
          durationS: settings.int('robustness-duration', 'BENCH_ROBUSTNESS_DURATION', Math.min(durationS, 10)),
          rounds: settings.int('robustness-rounds', 'BENCH_ROBUSTNESS_ROUNDS', 4),
          objectiveMs,
        };
        const measured =
          scenario === 'busy-machine'
            ? await runBusyMachine(robustness, rows)
            : scenario === 'slow-model'
              ? await runSlowModel(robustness)
              : await runBatchedClients(robustness, batchingRequestRows());
        result.robustness = [...(result.robustness ?? []), measured];
        break;
      }
      case 'mlserver-tuning': {
        result.mlserverTuning = await runMlserverTuning({ ...DEFAULT_TUNING_GRID, connections, durationS: settings.int('tuning-duration', 'BENCH_TUNING_DURATION', 10), warmupS }, rows);
        const best = bestTuning(result.mlserverTuning);
        if (best) process.stderr.write(`mlserver-tuning: best ${JSON.stringify(best.tuning)} at ${best.okPerSec.toFixed(0)} req/s (the committed bench/peers/mlserver settings are ${JSON.stringify(mlDefaults)})\n`);
        break;
      }
      case 'kafka':
      case 'worker-efficiency': {
        // Written by other people beside this runner; absent or different is not a failure of the run.
        const [file, names] = scenario === 'kafka' ? ['kafka', ['runKafkaBench', 'runKafka']] : ['worker-efficiency', ['runWorkerEfficiency', 'runWorkerEfficiencyBench']];
        const run = await loadOptionalScenario(file, names);
        if (typeof run === 'string') {
          process.stderr.write(`${scenario}: skipped (${run})\n`);
          extra[scenario] = `skipped: ${run}`;
        } else {
          extra[scenario] = await run({ durationS, warmupS });
        }
        break;
      }
    }
  }

  result.loadAverage = { before, after: loadAverage() };
  result.durationS = Math.round((Date.now() - started) / 1000);
  const file = writeDatedResult(result);
  // RESULTS.md and the charts it shows are updated together, or neither (--markdown false, for trial runs).
  const markdown = settings.bool('markdown', 'BENCH_MARKDOWN', true);
  const publish = markdown && (result.peak ?? result.lowLoad ?? result.overload ?? result.overloadBatched ?? result.batching ?? result.batchingOnnx) !== undefined;
  const charts = publish ? writeComparisonCharts(result) : [];
  if (publish) replaceSection(path.join(ROOT, 'bench', 'RESULTS.md'), 'run', resultsMarkdown(result));
  const robustness = markdown ? robustnessMarkdown(result) : undefined;
  if (robustness !== undefined) replaceSection(path.join(ROOT, 'bench', 'RESULTS.md'), 'robustness', robustness);

  process.stderr.write('\n== targets ==\n');
  for (const check of checkTargets(result)) process.stderr.write(`${check.met === null ? '  -   ' : check.met ? '  met ' : 'MISSED'} ${check.target}: ${check.measured}\n`);
  process.stderr.write(`\nresults: ${path.relative(ROOT, file)}${charts.length ? `; charts: ${charts.map((c) => path.relative(ROOT, c)).join(', ')}` : ''}; ${result.durationS} s; load average after ${result.loadAverage.after.join(' / ')}\n`);
}

// Ctrl-C: leave through process.exit so the 'exit' hook kills every server this run started.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
