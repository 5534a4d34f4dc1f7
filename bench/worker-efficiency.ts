/**
 * Scenario: how much of the model's own speed one Python worker delivers.
 *
 * Drives ONE PythonWorker directly (no HTTP, no engine) with sequential
 * batches of N adult.test rows, and compares its rows/s with the bare
 * `predict_proba` of the same artifact on a prebuilt DataFrame of the same
 * rows, measured in-process by python/bench/model_predict.py --with-raw. The
 * gap is what the worker adds: Node encoding, the pipes, Python decoding, the
 * handler's DataFrame and result building, and the way back. Rounds alternate
 * the two so that a busy neighbour on the machine hits both alike.
 *
 *   npx tsx bench/worker-efficiency.ts [--sizes 1,8,64,256,1024] [--repeats 30] [--rounds 3]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { PACKAGE_ROOT as ROOT, PYTHON_DIR } from '../src/config/config.js';
import { loadModelSpec } from '../src/model/manifest.js';
import { venvPython } from '../src/backends/python/prepare-python-model.js';
import type { Row } from '../src/model/row-schema.js';
import { PythonWorker } from '../src/backends/python/python-worker.js';
import { readAdult } from '../test/helpers/adult.js';
import { formatTable, loadAverage, machine, writeResult } from './lib/results.js';
import { Settings } from './lib/settings.js';

const MODEL_DIR = path.join(ROOT, 'models', 'census-income');
const SINGLE_THREADED = { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

export interface WorkerEfficiencyOptions {
  /** Batch sizes in rows. */
  readonly sizes?: readonly number[];
  /** Timed batches per size and round, after 3 untimed ones (both sides). */
  readonly repeats?: number;
  /** Alternations of (raw Python, worker); the figures are medians over rounds. */
  readonly rounds?: number;
  /** Write bench/results/worker-efficiency-<date>.json (default true). */
  readonly write?: boolean;
}

export interface WorkerEfficiencySize {
  readonly n: number;
  /** Median ms of one batch through the worker: encode, pipe, decode, handler, encode, pipe, decode. */
  readonly workerMedianMs: number;
  /** Median ms of the handler's predict(rows) in-process (python/bench/model_predict.py). */
  readonly handlerMedianMs: number;
  /** Median ms of bare predict_proba on a prebuilt DataFrame. */
  readonly rawMedianMs: number;
  readonly workerRowsPerSec: number;
  readonly rawRowsPerSec: number;
  /** workerRowsPerSec / rawRowsPerSec: 1 means the worker adds nothing. */
  readonly ratio: number;
  /** The ratio of each round, to show the spread. */
  readonly roundRatios: readonly number[];
  /**
   * The same comparison in CPU time, which moves less than wall time when other
   * processes share the cores (Linux only, else absent): bare predict_proba's
   * CPU ms over the worker process's plus the gateway process's CPU ms per batch.
   */
  readonly cpu?: {
    readonly rawMs: number;
    readonly workerMs: number;
    readonly nodeMs: number;
    readonly ratio: number;
    /** ms per batch the worker was ready to run but waited for a core: how busy the machine was. */
    readonly workerRunQueueMs: number;
  };
}

export interface WorkerEfficiencyResult {
  readonly scenario: 'worker-efficiency';
  readonly date: string;
  readonly machine: ReturnType<typeof machine>;
  readonly loadAverage: { readonly before: number[]; readonly after: number[] };
  readonly settings: { readonly sizes: readonly number[]; readonly repeats: number; readonly rounds: number };
  readonly sizes: readonly WorkerEfficiencySize[];
}

interface PythonMeasure {
  readonly n: number;
  readonly medianMs: number;
  readonly rawMedianMs: number;
  readonly rawCpuMedianMs: number;
}

interface WorkerMeasure {
  readonly medianMs: number;
  readonly cpu?: { readonly workerMs: number; readonly nodeMs: number; readonly runQueueMs: number };
}

/** On-CPU and run-queue nanoseconds of a process's main thread (the worker has one), or undefined off Linux. */
function schedstat(pid: number | undefined): { onCpuNs: number; waitNs: number } | undefined {
  const file = `/proc/${pid}/schedstat`;
  if (pid === undefined || !existsSync(file)) return undefined;
  const [onCpu, wait] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
  return onCpu === undefined || wait === undefined ? undefined : { onCpuNs: onCpu, waitNs: wait };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** In-process figures from the model's own virtualenv: handler predict() and bare predict_proba. */
function measurePython(python: string, sizes: readonly number[], repeats: number): PythonMeasure[] {
  const result = spawnSync(python, [path.join(ROOT, 'python', 'bench', 'model_predict.py'), '--sizes', sizes.join(','), '--with-raw'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...SINGLE_THREADED, BENCH_REPEATS: String(repeats) },
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`python/bench/model_predict.py failed (${result.status ?? result.signal}):\n${result.stderr.split('\n').slice(-15).join('\n')}`);
  return (JSON.parse(result.stdout) as { measures: PythonMeasure[] }).measures;
}

/** Median ms per batch of `rows`, sent one after another through the worker, and CPU ms per batch on each side. */
async function measureWorker(worker: PythonWorker, rows: readonly Row[], repeats: number): Promise<WorkerMeasure> {
  for (let i = 0; i < 3; i++) await worker.run(rows);
  const samples: number[] = [];
  const workerBefore = schedstat(worker.pid);
  const nodeBefore = process.cpuUsage();
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    const results = await worker.run(rows);
    samples.push(performance.now() - start);
    if (results.length !== rows.length) throw new Error(`worker returned ${results.length} results for ${rows.length} rows`);
  }
  const node = process.cpuUsage(nodeBefore);
  const workerAfter = schedstat(worker.pid);
  if (workerBefore === undefined || workerAfter === undefined) return { medianMs: median(samples) };
  return {
    medianMs: median(samples),
    cpu: {
      workerMs: (workerAfter.onCpuNs - workerBefore.onCpuNs) / 1e6 / repeats,
      nodeMs: (node.user + node.system) / 1e3 / repeats,
      runQueueMs: (workerAfter.waitNs - workerBefore.waitNs) / 1e6 / repeats,
    },
  };
}

/** Runs the scenario; callable from bench/run.ts. */
export async function runWorkerEfficiency(options: WorkerEfficiencyOptions = {}): Promise<WorkerEfficiencyResult> {
  const sizes = options.sizes ?? [1, 8, 64, 256, 1024];
  const repeats = options.repeats ?? 30;
  const rounds = options.rounds ?? 3;
  const python = venvPython(MODEL_DIR);
  const allRows: Row[] = readAdult().slice(0, Math.max(...sizes)).map(({ row }) => row);
  const before = loadAverage();

  // The worker's env is built from process.env; set the same single-threaded math the pool gives it.
  for (const [key, value] of Object.entries(SINGLE_THREADED)) process.env[key] ??= value;
  const { version } = (await loadModelSpec(MODEL_DIR)).manifest;
  const worker = new PythonWorker({ slot: 0, python, modelDir: MODEL_DIR, pythonPath: PYTHON_DIR, startTimeoutMs: 120_000, version, logger: pino({ level: 'warn' }) });
  await worker.started;

  const perRound: { python: PythonMeasure[]; worker: WorkerMeasure[] }[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const pythonMeasures = measurePython(python, sizes, repeats);
      const measures: WorkerMeasure[] = [];
      for (const n of sizes) measures.push(await measureWorker(worker, allRows.slice(0, n), repeats));
      perRound.push({ python: pythonMeasures, worker: measures });
    }
  } finally {
    await worker.stop(5_000);
  }

  const figures = sizes.map((n, i): WorkerEfficiencySize => {
    const workerMs = perRound.map((r) => r.worker[i]!.medianMs);
    const python = perRound.map((r) => r.python.find((m) => m.n === n)!);
    const rawMs = python.map((m) => m.rawMedianMs);
    const handlerMs = python.map((m) => m.medianMs);
    const workerMedianMs = median(workerMs);
    const rawMedianMs = median(rawMs);
    const cpus = perRound.flatMap((r) => (r.worker[i]!.cpu ? [r.worker[i]!.cpu] : []));
    const rawCpuMs = median(python.map((m) => m.rawCpuMedianMs));
    const cpu =
      cpus.length === perRound.length
        ? {
            rawMs: round3(rawCpuMs),
            workerMs: round3(median(cpus.map((c) => c.workerMs))),
            nodeMs: round3(median(cpus.map((c) => c.nodeMs))),
            ratio: round3(rawCpuMs / (median(cpus.map((c) => c.workerMs)) + median(cpus.map((c) => c.nodeMs)))),
            workerRunQueueMs: round3(median(cpus.map((c) => c.runQueueMs))),
          }
        : undefined;
    return {
      n,
      workerMedianMs: round3(workerMedianMs),
      handlerMedianMs: round3(median(handlerMs)),
      rawMedianMs: round3(rawMedianMs),
      workerRowsPerSec: Math.round((n * 1000) / workerMedianMs),
      rawRowsPerSec: Math.round((n * 1000) / rawMedianMs),
      ratio: round3(rawMedianMs / workerMedianMs),
      roundRatios: workerMs.map((ms, r) => round3(rawMs[r]! / ms)),
      ...(cpu ? { cpu } : {}),
    };
  });

  const result: WorkerEfficiencyResult = {
    scenario: 'worker-efficiency',
    date: new Date().toISOString(),
    machine: machine(),
    loadAverage: { before, after: loadAverage() },
    settings: { sizes, repeats, rounds },
    sizes: figures,
  };
  if (options.write ?? true) {
    const file = writeResult('worker-efficiency', result);
    process.stderr.write(`${formatEfficiencyTable(result)}\n(results: ${path.relative(ROOT, file)}; load average ${before.join(' / ')} before, ${result.loadAverage.after.join(' / ')} after)\n`);
  }
  return result;
}

export function formatEfficiencyTable(result: WorkerEfficiencyResult): string {
  return formatTable(
    ['rows', 'raw ms', 'handler ms', 'worker ms', 'raw rows/s', 'worker rows/s', 'ratio', 'per round', 'cpu: raw ms', 'worker+node ms', 'cpu ratio', 'run queue ms'],
    result.sizes.map((s) => [
      s.n,
      s.rawMedianMs.toFixed(2),
      s.handlerMedianMs.toFixed(2),
      s.workerMedianMs.toFixed(2),
      s.rawRowsPerSec,
      s.workerRowsPerSec,
      `${(s.ratio * 100).toFixed(1)} %`,
      s.roundRatios.map((r) => (r * 100).toFixed(0)).join('/'),
      s.cpu ? s.cpu.rawMs.toFixed(2) : '-',
      s.cpu ? `${s.cpu.workerMs.toFixed(2)}+${s.cpu.nodeMs.toFixed(2)}` : '-',
      s.cpu ? `${(s.cpu.ratio * 100).toFixed(1)} %` : '-',
      s.cpu ? s.cpu.workerRunQueueMs.toFixed(2) : '-',
    ]),
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const settings = new Settings(['sizes', 'repeats', 'rounds']);
  const result = await runWorkerEfficiency({
    sizes: settings.intList('sizes', 'BENCH_SIZES', [1, 8, 64, 256, 1024]),
    repeats: settings.int('repeats', 'BENCH_REPEATS', 30),
    rounds: settings.int('rounds', 'BENCH_ROUNDS', 3),
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
