/**
 * Scenario: single-row POST /predict at a fixed number of connections against
 * the compiled gateway (`npm run bench`; flags in bench/README.md).
 */
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import autocannon, { type AutocannonResult } from 'autocannon';
import { readAdult } from '../test/helpers/adult.js';
import { slicedClients } from './lib/closed-loop.js';
import { startGateway, type GatewayProcess } from './lib/gateway-process.js';
import { batchesBetween, batchTotals } from './lib/gateway-metrics.js';
import { machine, writeResult } from './lib/results.js';
import { Settings } from './lib/settings.js';

export interface PredictSettings {
  readonly durationS: number;
  readonly warmupS: number;
  readonly connections: number;
  /** Distinct adult.test rows sent, split evenly over the connections. */
  readonly rows: number;
  readonly workers?: number | undefined;
  readonly maxBatchRows?: number | undefined;
  /** Benchmark this running gateway instead of spawning one. */
  readonly url?: string | undefined;
}

export interface PredictResult {
  readonly scenario: 'predict';
  readonly date: string;
  readonly machine: ReturnType<typeof machine>;
  readonly settings: PredictSettings;
  /** Workers the gateway reported in /health/ready (so a default is recorded as the number it was). */
  readonly gatewayWorkers: number | null;
  /** Mean of the per-second samples. */
  readonly reqPerSec: number;
  readonly reqPerSecStddev: number;
  readonly requests: number;
  readonly durationS: number;
  /** Whole milliseconds (autocannon's histogram resolution), 2xx responses only. */
  readonly latencyMs: { readonly mean: number; readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly statusCodes: Record<string, number>;
  /** From the gateway's /metrics, measured run only: how well the batcher coalesced. */
  readonly batches: { readonly count: number; readonly meanRows: number } | null;
  /** CPU the load generator itself used (it shares the machine with the gateway). */
  readonly clientCpuPercent: number;
  /** 1-minute load average before the gateway started: another busy process skews every figure. */
  readonly loadBefore: number;
  /** Lines the spawned gateway logged at warn or above. */
  readonly gatewayLogLines: number;
}

export function readPredictSettings(settings: Settings): PredictSettings {
  return {
    durationS: settings.int('duration', 'BENCH_DURATION', 20),
    warmupS: settings.int('warmup', 'BENCH_WARMUP', 3, 0),
    connections: settings.int('connections', 'BENCH_CONNECTIONS', 64),
    rows: settings.int('rows', 'BENCH_ROWS', 1024),
    workers: settings.optionalInt('workers', 'BENCH_WORKERS'),
    maxBatchRows: settings.optionalInt('max-batch-rows', 'BENCH_MAX_BATCH_ROWS'),
    url: settings.string('url', 'BENCH_URL')?.replace(/\/+$/, ''),
  };
}

export const PREDICT_FLAGS = ['duration', 'warmup', 'connections', 'rows', 'workers', 'max-batch-rows', 'url'] as const;

async function readyWorkers(base: string): Promise<number | null> {
  const body: unknown = await (await fetch(`${base}/health/ready`)).json();
  return typeof body === 'object' && body !== null && 'workers' in body && typeof body.workers === 'number' ? body.workers : null;
}

async function checkOnce(base: string, body: Buffer): Promise<void> {
  const response = await fetch(`${base}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await response.text();
  const parsed: unknown = response.ok ? JSON.parse(text) : undefined;
  if (typeof parsed !== 'object' || parsed === null || !('probability' in parsed) || !('income' in parsed)) {
    throw new Error(`POST /predict answered ${response.status} ${text.slice(0, 300)}: not a {probability, income} result`);
  }
}

function fire(base: string, bodies: readonly Buffer[], connections: number, durationS: number): Promise<AutocannonResult> {
  return Promise.resolve(autocannon({ url: `${base}/predict`, connections, duration: durationS, setupClient: slicedClients(bodies, connections) }));
}

/** Runs the scenario once: spawns a gateway unless `settings.url` is set, warms up, measures. */
export async function runPredict(settings: PredictSettings): Promise<PredictResult> {
  const bodies = readAdult().slice(0, settings.rows).map(({ row }) => Buffer.from(JSON.stringify(row)));
  const loadBefore = Math.round(os.loadavg()[0]! * 100) / 100;
  let gateway: GatewayProcess | undefined;
  try {
    if (settings.url === undefined) gateway = await startGateway({ workers: settings.workers, maxBatchRows: settings.maxBatchRows });
    const base = settings.url ?? gateway!.url;
    await checkOnce(base, bodies[0]!);
    const gatewayWorkers = await readyWorkers(base);
    // Warm-up lets V8 optimise the hot path and the Python workers touch
    // every code path before anything is recorded.
    if (settings.warmupS > 0) await fire(base, bodies, settings.connections, settings.warmupS);

    const before = await batchTotals(base);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const result = await fire(base, bodies, settings.connections, settings.durationS);
    const cpu = process.cpuUsage(cpuBefore);
    const elapsedMs = performance.now() - started;
    const after = await batchTotals(base);

    const batches = batchesBetween(before, after);
    return {
      scenario: 'predict',
      date: new Date().toISOString(),
      machine: machine(),
      settings,
      gatewayWorkers,
      reqPerSec: result.requests.mean,
      reqPerSecStddev: result.requests.stddev,
      requests: result.requests.total,
      durationS: result.duration,
      latencyMs: { mean: result.latency.mean, p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count])),
      batches,
      clientCpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / elapsedMs) * 1000) / 10,
      loadBefore,
      gatewayLogLines: gateway?.logLines.length ?? 0,
    };
  } finally {
    if (gateway) {
      const how = await gateway.stop();
      if (how !== 'exit 0') process.stderr.write(`bench: gateway ended with ${how} after SIGTERM\n`);
    }
  }
}

/** Warns when the machine is already busy: on 2 cores another process halves the figures. */
export function warnIfBusy(): void {
  const load = os.loadavg()[0]!;
  if (load > os.cpus().length / 2) process.stderr.write(`bench: load average ${load.toFixed(2)} before start: something else is busy, figures may be low\n`);
}

export function summarize(r: PredictResult): string {
  const who = `${r.settings.url ?? 'spawned gateway'} workers=${r.gatewayWorkers ?? '?'}`;
  const batch = r.batches ? `, ${r.batches.meanRows} rows/batch` : '';
  return `predict ${who} c=${r.settings.connections}: ${r.reqPerSec.toFixed(0)} req/s, p50 ${r.latencyMs.p50} ms, p90 ${r.latencyMs.p90} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms, errors ${r.errors}, non-2xx ${r.non2xx}${batch}`;
}

async function main(): Promise<void> {
  warnIfBusy();
  const result = await runPredict(readPredictSettings(new Settings(PREDICT_FLAGS)));
  const file = writeResult('predict', result);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.stderr.write(`${summarize(result)}\n(results: ${file})\n`);
  if (result.requests === 0 || result.errors + result.non2xx > 0) process.exitCode = 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // Ctrl+C: exit through 'exit' so the spawned gateway is killed too.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  main().catch((error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
