/**
 * Scenario: Kafka streaming end to end, the gateway's Kafka mode beside the
 * talk's own system (Hazelcast Jet: Kafka source -> mapUsingPython -> Kafka
 * sink, bench/peers/jet/), on the same broker with the same records and
 * partitions, at-least-once and exactly-once:
 *
 * - throughput: `--records` sent as fast as one producer can; the clock
 *   stops at the last result read. CPU and peak memory of each system's
 *   processes (the gateway's Node process and its workers; Jet's JVM and its
 *   Python processes) over that window.
 * - latency: `--paced-records` at `--paced-rate` records/s, a rate both keep
 *   up with: produce time -> result time from the records' own timestamps,
 *   and to when a reader could see the result (for exactly-once, commit time).
 * - fault: one Python process SIGKILLed once 30 % of `--fault-records` are
 *   answered; what was lost, duplicated, and how long the output stalled.
 * - parity: the predictions of both systems compared key by key.
 *
 *     npm run bench:kafka [-- --records 50000 --systems gateway,jet --modes at-least-once,exactly-once]
 *     npm run bench:kafka -- --jet-grid 0,1,2,3,4      # Jet's Python parallelism grid instead
 *     KAFKA_BROKERS=host:port npm run bench:kafka     # an existing broker instead of a local one
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Admin } from '@platformatic/kafka';
import { PACKAGE_ROOT as ROOT } from '../src/config/config.js';
import { KAFKA_CACHE_DIR, startBroker, stopBroker } from '../scripts/broker-control.js';
import { readAdult } from '../test/helpers/adult.js';
import { barChart } from './lib/bar-chart.js';
import { batchesBetween, batchTotals } from './lib/gateway-metrics.js';
import { prepareGatewayModel, startGateway } from './lib/gateway-process.js';
import { summariseFault, type FaultSummary } from './lib/kafka-fault.js';
import { benchMessages, produceFlood, producePaced, ResultReader, type SentTimes } from './lib/kafka-io.js';
import { markdownTable, replaceSection } from './lib/markdown-section.js';
import { percentiles } from './lib/percentiles.js';
import { descendantsOf, TreeUsage } from './lib/process-cpu.js';
import { processTree } from './lib/process-tree.js';
import { rawModelTime } from './lib/raw-model-time.js';
import { formatTable, loadAverage, machine, writeResult } from './lib/results.js';
import { Settings } from './lib/settings.js';
import { defaultJetTuning, setupJet, startJet, type JetEvent, type JetTuning } from './lib/systems/jet.js';

export const STREAM_SYSTEMS = ['gateway', 'jet'] as const;
export type StreamSystem = (typeof STREAM_SYSTEMS)[number];
export const MODES = ['at-least-once', 'exactly-once'] as const;
export type Mode = (typeof MODES)[number];

export interface KafkaBenchOptions {
  readonly records?: number;
  readonly warmupRecords?: number;
  readonly pacedRecords?: number;
  readonly pacedRate?: number;
  readonly faultRecords?: number;
  readonly workers?: number;
  readonly maxBatchRows?: number;
  readonly partitions?: number;
  readonly systems?: readonly StreamSystem[];
  readonly modes?: readonly Mode[];
  /** Fault runs for these modes (none: skip). */
  readonly faultModes?: readonly Mode[];
  readonly jet?: Partial<JetTuning>;
  /** Write the bench:kafka section of RESULTS.md and bench/charts/kafka.svg. */
  readonly markdown?: boolean;
  /** An existing cluster; otherwise a local broker is started (and stopped) for the run. */
  readonly brokers?: string;
}

interface Usage {
  readonly cpuSeconds: number;
  readonly cores: number;
  readonly peakRssMiB: number;
  readonly processes: number;
  /** The top process alone: the gateway's Node process, Jet's JVM (the rest is their Python processes). */
  readonly rootCpuSeconds?: number;
}

interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface StreamRunResult {
  readonly system: StreamSystem;
  readonly mode: Mode;
  readonly settings: Readonly<Record<string, unknown>>;
  /** From start to the job or gateway taking records. */
  readonly startSeconds: number;
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSec: number;
  readonly produceSeconds: number;
  readonly duplicates: number;
  readonly usage: Usage;
  /** CPU seconds per 1,000 records, all the system's processes together. */
  readonly cpuMsPerRecord: number;
  readonly meanBatchRows: number | null;
  /** Paced run: produce -> output record timestamp, ms. */
  readonly latency: Latency;
  /** Paced run: produce -> read by a consumer (read_committed for exactly-once), ms. */
  readonly visibleLatency: Latency;
  readonly pacedRate: number;
  readonly pacedRecords: number;
  /** The results of the throughput run, for the parity check (not written to JSON). */
  readonly values?: Map<string, string>;
}

export interface StreamFaultResult extends FaultSummary {
  readonly system: StreamSystem;
  readonly mode: Mode;
  readonly killedPid: number;
  readonly killedAfterAnswered: number;
  /** Gateway: workers restarted (its /metrics); Jet: times the job was suspended and resumed. */
  readonly restarts: number;
  /** Whether the job (Jet) had to be restarted to go on. */
  readonly jobRestarted: boolean;
  readonly events: readonly string[];
  readonly completedSeconds: number | null;
}

export interface ParityResult {
  readonly compared: number;
  readonly mismatches: number;
  readonly maxProbabilityDiff: number;
  readonly samples: readonly { key: string; gateway: string; jet: string }[];
}

export interface KafkaBenchResult {
  readonly scenario: 'kafka';
  readonly date: string;
  readonly command: string;
  readonly machine: ReturnType<typeof machine>;
  readonly loadAverage: { readonly before: number[]; readonly after: number[] };
  readonly settings: Readonly<Record<string, unknown>>;
  readonly raw: { readonly batchRows: number; readonly medianMs: number; readonly rowsPerSec: number };
  readonly runs: readonly StreamRunResult[];
  readonly faults: readonly StreamFaultResult[];
  readonly parity: ParityResult | null;
}

// The manifest's latency objective trims batches by a learned cost model; this
// scenario measures the streaming path at full batches, as the raw figure is.
const LATENCY_SLO_MS = 3_600_000;

interface Topics {
  readonly input: string;
  readonly output: string;
  readonly dlq: string;
}

/** One system consuming `topics.input`, ready for records. */
interface Started {
  readonly pid: number;
  readonly settings: Readonly<Record<string, unknown>>;
  /** Worker restarts (gateway) or job suspensions (Jet) so far. */
  restarts(): Promise<number>;
  meanBatchRows(): Promise<number | null>;
  readonly events?: readonly JetEvent[];
  logTail(): string;
  stop(): Promise<void>;
}

async function createTopics(brokers: string, partitions: number, id: string): Promise<Topics> {
  const topics = { input: `${id}.in`, output: `${id}.out`, dlq: `${id}.dlq` };
  const admin = new Admin({ clientId: 'bench-admin', bootstrapBrokers: [brokers] });
  await admin.createTopics({ topics: Object.values(topics), partitions, replicas: 1 });
  await admin.close();
  return topics;
}

async function metricValue(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`).exec(line);
    if (match) sum += Number(match[1]);
  }
  return sum;
}

async function startSystem(system: StreamSystem, mode: Mode, brokers: string, topics: Topics, id: string, settings: ResolvedSettings): Promise<Started> {
  if (system === 'gateway') {
    const gateway = await startGateway({
      workers: settings.workers,
      maxBatchRows: settings.maxBatchRows,
      latencySloMs: LATENCY_SLO_MS,
      extraArgs: [
        '--kafka-brokers', brokers,
        '--kafka-input-topic', topics.input,
        '--kafka-output-topic', topics.output,
        '--kafka-dlq-topic', topics.dlq,
        '--kafka-group-id', `${id}.gateway`,
        ...(mode === 'exactly-once' ? ['--exactly-once', '--kafka-transactional-id', `${id}.tx`] : []),
      ],
    });
    let batches = await batchTotals(gateway.url);
    return {
      pid: gateway.pid,
      settings: { workers: settings.workers, maxBatchRows: settings.maxBatchRows },
      restarts: () => metricValue(gateway.url, 'gateway_worker_restarts_total'),
      meanBatchRows: async () => {
        const now = await batchTotals(gateway.url);
        const between = batchesBetween(batches, now);
        batches = now;
        return between?.meanRows ?? null;
      },
      logTail: () => gateway.logLines.slice(-20).join('\n'),
      stop: async () => void (await gateway.stop()),
    };
  }
  const jet = await startJet({ ...settings.jet, brokers, inputTopic: topics.input, outputTopic: topics.output, guarantee: mode });
  return {
    pid: jet.pid,
    settings: { ...settings.jet, heap: '1g' },
    restarts: async () => jet.events.filter((e) => e.event === 'resumed').length,
    meanBatchRows: async () => null,
    events: jet.events,
    logTail: () => jet.logTail(),
    stop: () => jet.stop(),
  };
}

function latencyOf(reader: ResultReader, sent: SentTimes, field: 'timestampMs' | 'readAtMs'): Latency {
  const samples: number[] = [];
  for (const [key, result] of reader.results) {
    const at = sent.get(key);
    if (at !== undefined) samples.push(result[field] - at);
  }
  const p = percentiles(samples);
  return { p50: p.p50, p99: p.p99, max: p.max };
}

async function warmUp(brokers: string, topics: Topics, readCommitted: boolean, rows: readonly Buffer[], count: number, log: () => string): Promise<void> {
  const reader = await ResultReader.open(brokers, topics.output, 'w-', readCommitted);
  await produceFlood(brokers, benchMessages(topics.input, 'w-', rows, count));
  const ok = await reader.until(count, 240_000);
  await reader.close();
  if (!ok) throw new Error(`warm-up: ${reader.results.size} of ${count} results within 240 s; last output:\n${log()}`);
}

async function measure(system: StreamSystem, mode: Mode, brokers: string, settings: ResolvedSettings, rows: readonly Buffer[]): Promise<StreamRunResult> {
  const id = `bench-${system}-${mode}-${randomUUID().slice(0, 8)}`;
  const topics = await createTopics(brokers, settings.partitions, id);
  const readCommitted = mode === 'exactly-once';
  const t0 = performance.now();
  const started = await startSystem(system, mode, brokers, topics, id, settings);
  const startSeconds = round2((performance.now() - t0) / 1000);
  try {
    await warmUp(brokers, topics, readCommitted, rows, settings.warmupRecords, () => started.logTail());
    await started.meanBatchRows();

    const reader = await ResultReader.open(brokers, topics.output, 'm-', readCommitted);
    const usage = new TreeUsage(started.pid);
    const start = Date.now();
    const sent = await produceFlood(brokers, benchMessages(topics.input, 'm-', rows, settings.records));
    const produced = Date.now();
    const ok = await reader.until(settings.records, 600_000);
    const used = usage.stop();
    if (!ok) throw new Error(`${system} ${mode}: ${reader.results.size} of ${settings.records} results within 600 s; last output:\n${started.logTail()}`);
    const end = Math.max(...[...reader.results.values()].map((r) => r.readAtMs));
    await sleep(500); // late duplicates
    await reader.close();
    const meanBatchRows = await started.meanBatchRows();
    const seconds = (end - start) / 1000;

    const paced = await ResultReader.open(brokers, topics.output, 'p-', readCommitted);
    const pacedSent = await producePaced(brokers, benchMessages(topics.input, 'p-', rows, settings.pacedRecords), settings.pacedRate);
    const pacedOk = await paced.until(settings.pacedRecords, 120_000);
    await paced.close();
    if (!pacedOk) throw new Error(`${system} ${mode}: paced run, ${paced.results.size} of ${settings.pacedRecords} results within 120 s`);

    return {
      system,
      mode,
      settings: started.settings,
      startSeconds,
      records: settings.records,
      seconds: round2(seconds),
      recordsPerSec: Math.round(settings.records / seconds),
      produceSeconds: round2((produced - start) / 1000),
      duplicates: reader.total - reader.results.size,
      usage: used,
      cpuMsPerRecord: round3((used.cpuSeconds * 1000) / settings.records),
      meanBatchRows,
      latency: latencyOf(paced, pacedSent, 'timestampMs'),
      visibleLatency: latencyOf(paced, pacedSent, 'readAtMs'),
      pacedRate: settings.pacedRate,
      pacedRecords: settings.pacedRecords,
      values: new Map([...reader.results].map(([key, r]) => [key, r.value])),
    };
  } finally {
    await started.stop();
  }
}

/** The Python processes of a system's tree (the gateway's workers; Jet's mapUsingPython processes). */
function pythonProcesses(pid: number): number[] {
  return processTree(pid).filter((p) => p.name.startsWith('python')).map((p) => p.pid);
}

async function fault(system: StreamSystem, mode: Mode, brokers: string, settings: ResolvedSettings, rows: readonly Buffer[]): Promise<StreamFaultResult> {
  const id = `bench-fault-${system}-${mode}-${randomUUID().slice(0, 8)}`;
  const topics = await createTopics(brokers, settings.partitions, id);
  const readCommitted = mode === 'exactly-once';
  const started = await startSystem(system, mode, brokers, topics, id, settings);
  try {
    await warmUp(brokers, topics, readCommitted, rows, settings.warmupRecords, () => started.logTail());
    const restartsBefore = await started.restarts();
    const eventsBefore = started.events?.length ?? 0;
    const reader = await ResultReader.open(brokers, topics.output, 'f-', readCommitted);
    // The kill follows processing, not commits: a read_committed reader lags by up to a
    // transaction, and a process killed once everything is done tests nothing.
    const progress = readCommitted ? await ResultReader.open(brokers, topics.output, 'f-', false) : reader;
    const count = settings.faultRecords;
    const start = Date.now();
    const producing = produceFlood(brokers, benchMessages(topics.input, 'f-', rows, count));
    const killAfter = Math.round(count * 0.3);
    await progress.until(killAfter, 300_000);
    if (progress !== reader) await progress.close();
    const victims = pythonProcesses(started.pid);
    const killedPid = victims[0];
    if (killedPid === undefined) throw new Error(`${system}: no Python process under pid ${started.pid} (${descendantsOf(started.pid).join(', ')})`);
    const killAtMs = Date.now();
    process.kill(killedPid, 'SIGKILL');
    process.stderr.write(`kafka: ${system} ${mode}: SIGKILL to Python pid ${killedPid} after ${killAfter} of ${count} results\n`);
    await producing;
    const completed = await reader.until(count, 180_000);
    const completedAt = completed ? Math.max(...[...reader.results.values()].map((r) => r.readAtMs)) : null;
    await sleep(3000); // duplicates that come after the last new key
    await reader.close();
    const restarts = (await started.restarts()) - restartsBefore;
    const events = (started.events ?? []).slice(eventsBefore).map((e) => `${new Date(e.timeMs).toISOString().slice(11, 23)} ${e.event}${e.status ? ` ${e.status}` : ''}${e.cause ? `: ${e.cause}` : ''}`);
    return {
      system,
      mode,
      ...summariseFault(count, reader.results.size, reader.arrivals, killAtMs),
      killedPid,
      killedAfterAnswered: killAfter,
      restarts,
      jobRestarted: system === 'jet' && restarts > 0,
      events,
      completedSeconds: completedAt === null ? null : round2((completedAt - start) / 1000),
    };
  } finally {
    await started.stop();
  }
}

function parity(gateway: Map<string, string> | undefined, jet: Map<string, string> | undefined): ParityResult | null {
  if (!gateway || !jet) return null;
  let compared = 0;
  let mismatches = 0;
  let maxDiff = 0;
  const samples: ParityResult['samples'][number][] = [];
  for (const [key, ours] of gateway) {
    const theirs = jet.get(key);
    if (theirs === undefined) continue;
    compared++;
    const a = JSON.parse(ours) as { probability: number; income: string };
    const b = JSON.parse(theirs) as { probability: number; income: string };
    const diff = Math.abs(a.probability - b.probability);
    maxDiff = Math.max(maxDiff, diff);
    if (a.income !== b.income || diff > 1e-9) mismatches++;
    if (samples.length < 3) samples.push({ key, gateway: ours, jet: theirs });
  }
  return { compared, mismatches, maxProbabilityDiff: maxDiff, samples };
}

interface ResolvedSettings {
  readonly records: number;
  readonly warmupRecords: number;
  readonly pacedRecords: number;
  readonly pacedRate: number;
  readonly faultRecords: number;
  readonly workers: number;
  readonly maxBatchRows: number;
  readonly partitions: number;
  readonly systems: readonly StreamSystem[];
  readonly modes: readonly Mode[];
  readonly faultModes: readonly Mode[];
  readonly jet: JetTuning;
}

function resolve(options: KafkaBenchOptions): ResolvedSettings {
  return {
    records: options.records ?? 50_000,
    warmupRecords: options.warmupRecords ?? 5000,
    pacedRecords: options.pacedRecords ?? 10_000,
    pacedRate: options.pacedRate ?? 1000,
    faultRecords: options.faultRecords ?? 50_000,
    workers: options.workers ?? 2,
    maxBatchRows: options.maxBatchRows ?? 1024,
    partitions: options.partitions ?? 4,
    systems: options.systems ?? STREAM_SYSTEMS,
    modes: options.modes ?? MODES,
    faultModes: options.faultModes ?? MODES,
    jet: { ...defaultJetTuning(), ...options.jet },
  };
}

async function withBroker<T>(options: KafkaBenchOptions, partitions: number, body: (brokers: string) => Promise<T>): Promise<T> {
  const brokerDir = path.join(KAFKA_CACHE_DIR, 'bench-broker');
  const brokers = options.brokers ?? (await startBroker({ dir: brokerDir, partitions, progress: (line) => process.stderr.write(`kafka: ${line}\n`) }));
  try {
    return await body(brokers);
  } finally {
    if (options.brokers === undefined) await stopBroker(brokerDir);
  }
}

const label = (system: StreamSystem, mode: Mode): string => `${system === 'gateway' ? 'gateway' : 'Jet'} ${mode === 'at-least-once' ? 'ALO' : 'EO'}`;

/** Runs the comparison and returns the figures (also written to bench/results/kafka-*.json). */
export async function runKafkaBench(options: KafkaBenchOptions = {}, command = 'npm run bench:kafka'): Promise<KafkaBenchResult> {
  const settings = resolve(options);
  const loadBefore = loadAverage();
  prepareGatewayModel();
  if (settings.systems.includes('jet')) await setupJet();
  const [timing] = rawModelTime([settings.maxBatchRows], 30);
  if (!timing) throw new Error('python/bench/model_predict.py returned no timing');
  const raw = { batchRows: timing.n, medianMs: timing.medianMs, rowsPerSec: timing.rowsPerSec };
  const rows = readAdult().map((r) => Buffer.from(JSON.stringify(r.row)));

  const { runs, faults } = await withBroker(options, settings.partitions, async (brokers) => {
    const runs: StreamRunResult[] = [];
    // Interleaved by mode, so both systems see the machine in the same state.
    for (const mode of settings.modes) {
      for (const system of settings.systems) {
        process.stderr.write(`kafka: ${label(system, mode)}, ${settings.records} records, then ${settings.pacedRecords} at ${settings.pacedRate}/s…\n`);
        runs.push(await measure(system, mode, brokers, settings, rows));
      }
    }
    const faults: StreamFaultResult[] = [];
    for (const mode of settings.faultModes) {
      for (const system of settings.systems) {
        process.stderr.write(`kafka: fault, ${label(system, mode)}, ${settings.faultRecords} records…\n`);
        faults.push(await fault(system, mode, brokers, settings, rows));
      }
    }
    return { runs, faults };
  });

  const valuesOf = (system: StreamSystem): Map<string, string> | undefined => runs.find((r) => r.system === system && r.mode === 'at-least-once')?.values;
  const result: KafkaBenchResult = {
    scenario: 'kafka',
    date: new Date().toISOString(),
    command,
    machine: machine(),
    loadAverage: { before: loadBefore, after: loadAverage() },
    settings: { ...settings, latencySloMs: LATENCY_SLO_MS },
    raw,
    runs: runs.map(({ values: _values, ...rest }) => rest),
    faults,
    parity: parity(valuesOf('gateway'), valuesOf('jet')),
  };
  const file = writeResult('kafka', result);
  process.stderr.write(`${textTables(result)}\n(results: ${file})\n`);
  if (options.markdown ?? true) writeMarkdown(result);
  return result;
}

function textTables(result: KafkaBenchResult): string {
  const runs = formatTable(
    ['run', 'records/s', 'seconds', 'cores', 'CPU ms/1k rec', 'peak RSS MiB', 'p50 ms', 'p99 ms', 'visible p50', 'visible p99', 'dup', 'start s'],
    result.runs.map((r) => [label(r.system, r.mode), r.recordsPerSec, r.seconds, r.usage.cores, r.cpuMsPerRecord * 1000, r.usage.peakRssMiB, r.latency.p50, r.latency.p99, r.visibleLatency.p50, r.visibleLatency.p99, r.duplicates, r.startSeconds]),
  );
  const faults = formatTable(
    ['fault', 'lost', 'duplicates', 'stall ms', 'flowing again after ms', 'restarts', 'completed s'],
    result.faults.map((f) => [label(f.system, f.mode), f.lost, f.duplicates, f.stallMs ?? '-', f.flowingAgainAfterMs ?? '-', f.restarts, f.completedSeconds ?? 'no']),
  );
  const p = result.parity;
  return `${runs}\n\n${faults}\n\nparity: ${p ? `${p.compared} keys compared, ${p.mismatches} differ (max |Δp| ${p.maxProbabilityDiff})` : 'not run'}`;
}

const round2 = (v: number): number => Math.round(v * 100) / 100;
const round3 = (v: number): number => Math.round(v * 1000) / 1000;
const thousands = (v: number): string => Math.round(v).toLocaleString('en-US');

function ratio(result: KafkaBenchResult, mode: Mode, pick: (r: StreamRunResult) => number): number | null {
  const ours = result.runs.find((r) => r.system === 'gateway' && r.mode === mode);
  const theirs = result.runs.find((r) => r.system === 'jet' && r.mode === mode);
  if (!ours || !theirs || pick(theirs) === 0) return null;
  return round2(pick(ours) / pick(theirs));
}

/** Writes the bench:kafka section of RESULTS.md and bench/charts/kafka.svg (also from a saved result: `--render <json>`). */
export function writeMarkdown(result: KafkaBenchResult): void {
  const chartFile = path.join(ROOT, 'bench', 'charts', 'kafka.svg');
  mkdirSync(path.dirname(chartFile), { recursive: true });
  writeFileSync(
    chartFile,
    barChart({
      title: 'Kafka: records/s end to end, gateway and Hazelcast Jet',
      subtitle: `${thousands(result.runs[0]?.records ?? 0)} records, ${result.settings.partitions} partitions, same broker; note: p99 at ${result.runs[0]?.pacedRate ?? 0}/s`,
      yLabel: 'records/s',
      bars: result.runs.map((r) => ({ label: label(r.system, r.mode), value: r.recordsPerSec, note: `p99 ${Math.round(r.latency.p99)} ms` })),
    }),
  );
  const l = result.loadAverage;
  const parts: string[] = [];
  parts.push('## Kafka: the gateway beside Hazelcast Jet (`npm run bench:kafka`)');
  parts.push(
    `Measured ${result.date} with \`${result.command}\`. Machine: ${result.machine.cpus} cores, ${result.machine.memoryGiB} GiB, Node ${result.machine.node}; load average before ${l.before.join(' / ')}, after ${l.after.join(' / ')} (1 / 5 / 15 min). One local broker (Kafka 3.9.1), ${result.settings.partitions} partitions per topic, fresh topics per run; the broker, the bench's producer and reader and the system under test share the cores.`,
  );
  parts.push('![records/s per system and mode](charts/kafka.svg)');
  const ratios = MODES.map((mode) => {
    const rps = ratio(result, mode, (r) => r.recordsPerSec);
    const cpu = ratio(result, mode, (r) => r.cpuMsPerRecord);
    const p99 = ratio(result, mode, (r) => r.latency.p99);
    return rps === null ? null : `${mode}: ${rps}x Jet's records/s, ${cpu}x its CPU per record, ${p99}x its p99`;
  }).filter((line): line is string => line !== null);
  if (ratios.length > 0) parts.push(`Gateway / Jet, this run: ${ratios.join('; ')}.`);
  parts.push(
    markdownTable(
      ['run', 'records/s', 'seconds', 'producing s', 'CPU cores', 'CPU ms / 1k records', 'CPU s: top process / Python', 'peak RSS MiB', 'processes', 'p50 ms', 'p99 ms', 'visible p50 ms', 'visible p99 ms', 'duplicates', 'rows/batch', 'start s', 'settings'],
      result.runs.map((r) => [
        label(r.system, r.mode),
        thousands(r.recordsPerSec),
        r.seconds,
        r.produceSeconds,
        r.usage.cores,
        round2(r.cpuMsPerRecord * 1000),
        r.usage.rootCpuSeconds === undefined ? '' : `${r.usage.rootCpuSeconds} / ${round2(r.usage.cpuSeconds - r.usage.rootCpuSeconds)}`,
        thousands(r.usage.peakRssMiB),
        r.usage.processes,
        r.latency.p50,
        r.latency.p99,
        r.visibleLatency.p50,
        r.visibleLatency.p99,
        r.duplicates,
        r.meanBatchRows ?? '',
        r.startSeconds,
        Object.entries(r.settings).map(([k, v]) => `${k}=${String(v)}`).join(', '),
      ]),
    ),
  );
  parts.push(
    `records/s: ${thousands(result.runs[0]?.records ?? 0)} records sent as fast as one producer can, until the last result is read. CPU and RSS: the system's whole process tree (gateway: Node + ${result.settings.workers} worker${result.settings.workers === 1 ? '' : 's'}; Jet: the JVM, -Xmx1g, and its Python processes) over that window. Latency: ${thousands(result.runs[0]?.pacedRecords ?? 0)} records at ${result.runs[0]?.pacedRate ?? 0}/s; "p50/p99" from the input record's timestamp (set when produced) to the output record's (set by the system's producer); "visible" to when the bench's reader got it (\`read_committed\` for exactly-once, so it includes the wait for the commit). Raw model at ${result.raw.batchRows} rows, one process: ${thousands(result.raw.rowsPerSec)} rows/s.`,
  );
  if (result.faults.length > 0) {
    parts.push('### Fault: one Python process SIGKILLed mid-run');
    parts.push(
      markdownTable(
        ['run', 'records', 'lost', 'duplicates', 'longest stall ms', 'results flowing again after ms', 'restarts', 'job restarted', 'all answered after s', 'events'],
        result.faults.map((f) => [label(f.system, f.mode), f.produced, f.lost, f.duplicates, f.stallMs ?? '–', f.flowingAgainAfterMs ?? '–', f.restarts, f.system === 'jet' ? (f.jobRestarted ? 'yes' : 'no') : 'no (worker respawned)', f.completedSeconds ?? 'not within 180 s', f.events.map((e) => (e.length > 150 ? `${e.slice(0, 150)}…` : e)).join('; ').replaceAll('|', '/')]),
      ),
    );
    parts.push(
      'Killed: the first Python process of the system\'s tree, once 30 % of the records were answered (as a read_uncommitted reader sees them, so exactly-once runs are killed mid-processing too). Lost: keys never answered (within 180 s of the end of producing); duplicates: results read beyond one per key (read_committed for exactly-once); stall: the longest pause in the output from the kill on. Restarts: for the gateway, `gateway_worker_restarts_total`; for Jet, times the failed job was suspended and resumed from its last snapshot (`JobConfig.setSuspendOnFailure`, resumed by bench/peers/jet\'s JetPeer, as an operator would).',
    );
  }
  const p = result.parity;
  if (p) {
    parts.push(
      `**Same predictions:** ${thousands(p.compared)} keys of the at-least-once throughput runs compared: ${p.mismatches} differ (income class, or probability by more than 1e-9; largest probability difference ${p.maxProbabilityDiff}). Example: \`${p.samples[0]?.key}\` gateway \`${p.samples[0]?.gateway}\`, Jet \`${p.samples[0]?.jet}\`.`,
    );
  }
  replaceSection(path.join(ROOT, 'bench', 'RESULTS.md'), 'kafka', parts.join('\n\n'));
}

/** Jet's throughput (at-least-once) at each Python parallelism; 0 is Jet's default (one per core). */
export async function runJetGrid(values: readonly number[], options: KafkaBenchOptions = {}, command = 'npm run bench:kafka -- --jet-grid'): Promise<unknown> {
  const settings = resolve({ ...options, systems: ['jet'], faultModes: [] });
  const loadBefore = loadAverage();
  prepareGatewayModel();
  await setupJet();
  const rows = readAdult().map((r) => Buffer.from(JSON.stringify(r.row)));
  const grid = await withBroker(options, settings.partitions, async (brokers) => {
    const out: { pythonParallelism: number; recordsPerSec: number; cores: number; peakRssMiB: number; p99: number }[] = [];
    for (const pythonParallelism of values) {
      process.stderr.write(`kafka: Jet grid, python parallelism ${pythonParallelism || 'default'}\n`);
      const run = await measure('jet', 'at-least-once', brokers, { ...settings, jet: { ...settings.jet, pythonParallelism } }, rows);
      out.push({ pythonParallelism, recordsPerSec: run.recordsPerSec, cores: run.usage.cores, peakRssMiB: run.usage.peakRssMiB, p99: run.latency.p99 });
    }
    return out;
  });
  const best = grid.reduce((a, b) => (b.recordsPerSec > a.recordsPerSec ? b : a));
  const result = { scenario: 'kafka-jet-grid', date: new Date().toISOString(), command, machine: machine(), loadAverage: { before: loadBefore, after: loadAverage() }, settings, grid, best };
  const file = writeResult('kafka-jet-grid', result);
  process.stderr.write(`${formatTable(['python parallelism', 'records/s', 'cores', 'peak RSS MiB', 'p99 ms'], grid.map((g) => [g.pythonParallelism || 'default (2)', g.recordsPerSec, g.cores, g.peakRssMiB, g.p99]))}\nbest: ${best.pythonParallelism || 'default'} (results: ${file})\n`);
  if (options.markdown ?? true) {
    replaceSection(
      path.join(ROOT, 'bench', 'RESULTS.md'),
      'kafka-jet-grid',
      [
        '## Jet parallelism grid (`npm run bench:kafka -- --jet-grid …`)',
        `Measured ${result.date} with \`${command}\`; load average before ${loadBefore.join(' / ')}, after ${result.loadAverage.after.join(' / ')}. Jet at-least-once, ${thousands(settings.records)} records, ${settings.partitions} partitions, a fresh member and topics per setting; the local parallelism of the \`mapUsingPython\` stage is the number of Python processes (default: one per core).`,
        markdownTable(
          ['Python processes', 'records/s', 'CPU cores', 'peak RSS MiB', 'p99 ms (paced)'],
          grid.map((g) => [g === best ? `**${g.pythonParallelism || 'default (2)'}**` : String(g.pythonParallelism || 'default (2)'), thousands(g.recordsPerSec), g.cores, thousands(g.peakRssMiB), g.p99]),
        ),
      ].join('\n\n'),
    );
  }
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const settings = new Settings(['records', 'warmup-records', 'paced-records', 'paced-rate', 'fault-records', 'workers', 'max-batch-rows', 'partitions', 'systems', 'modes', 'fault-modes', 'jet-python-parallelism', 'jet-source-parallelism', 'jet-snapshot-interval-ms', 'jet-grid', 'markdown', 'render']);
  const brokers = process.env.KAFKA_BROKERS;
  const faultModes = settings.string('fault-modes', 'BENCH_KAFKA_FAULT_MODES');
  const jet: Partial<JetTuning> = {};
  const pp = settings.optionalInt('jet-python-parallelism', 'BENCH_JET_PYTHON_PARALLELISM', 0);
  const sp = settings.optionalInt('jet-source-parallelism', 'BENCH_JET_SOURCE_PARALLELISM', 0);
  const si = settings.optionalInt('jet-snapshot-interval-ms', 'BENCH_JET_SNAPSHOT_INTERVAL_MS');
  if (pp !== undefined) Object.assign(jet, { pythonParallelism: pp });
  if (sp !== undefined) Object.assign(jet, { sourceParallelism: sp });
  if (si !== undefined) Object.assign(jet, { snapshotIntervalMs: si });
  const options: KafkaBenchOptions = {
    records: settings.int('records', 'BENCH_KAFKA_RECORDS', 50_000),
    warmupRecords: settings.int('warmup-records', 'BENCH_KAFKA_WARMUP_RECORDS', 5000),
    pacedRecords: settings.int('paced-records', 'BENCH_KAFKA_PACED_RECORDS', 10_000),
    pacedRate: settings.int('paced-rate', 'BENCH_KAFKA_PACED_RATE', 1000),
    faultRecords: settings.int('fault-records', 'BENCH_KAFKA_FAULT_RECORDS', 50_000),
    workers: settings.int('workers', 'BENCH_WORKERS', 2),
    maxBatchRows: settings.int('max-batch-rows', 'BENCH_MAX_BATCH_ROWS', 1024),
    partitions: settings.int('partitions', 'BENCH_KAFKA_PARTITIONS', 4),
    systems: settings.names('systems', 'BENCH_KAFKA_SYSTEMS', STREAM_SYSTEMS, STREAM_SYSTEMS),
    modes: settings.names('modes', 'BENCH_KAFKA_MODES', MODES, MODES),
    faultModes: faultModes === 'none' ? [] : settings.names('fault-modes', 'BENCH_KAFKA_FAULT_MODES', MODES, MODES),
    jet,
    markdown: settings.bool('markdown', 'BENCH_MARKDOWN', true),
    ...(brokers ? { brokers } : {}),
  };
  const render = settings.string('render', 'BENCH_KAFKA_RENDER');
  if (render !== undefined) {
    writeMarkdown(JSON.parse(readFileSync(render, 'utf8')) as KafkaBenchResult);
    process.exit(0);
  }
  const command = `npm run bench:kafka${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const grid = settings.string('jet-grid', 'BENCH_JET_GRID');
  // Not Settings.intList: 0 (Jet's default parallelism) is a valid point of the grid.
  const gridValues = grid?.split(',').map((v) => Number(v.trim()));
  if (gridValues?.some((v) => !Number.isInteger(v) || v < 0)) throw new Error(`--jet-grid must be a list like 0,1,2,4 (0: Jet's default), got ${JSON.stringify(grid)}`);
  const run = gridValues !== undefined ? runJetGrid(gridValues, options, command) : runKafkaBench(options, command);
  run.then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`bench/kafka: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
