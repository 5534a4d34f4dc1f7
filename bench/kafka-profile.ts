/**
 * Where the gateway's Kafka-mode wall time goes: the throughput part of
 * `npm run bench:kafka` (same records, partitions, warm-up, flood producer and
 * reader), with the gateway under a V8 CPU profiler and a Kafka-client tracer
 * (bench/lib/kafka-trace-preload.mjs, loaded with NODE_OPTIONS=--import, as
 * --cpu-prof may not be: nothing in src/ changes), and its /metrics sampled every 100 ms. Prints, per run:
 * worker busy share, batch sizes, produce/commit/fetch round trips, the
 * timeline of batches in flight, and the Node process's top functions.
 *
 *     npx tsx bench/kafka-profile.ts --records 20000 --variants 'base=;mif32k=--kafka-max-in-flight 32768;p8=@partitions=8'
 *
 * A variant is `name=gateway flags`; `@partitions=N` sets the topics' partitions.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Admin } from '@platformatic/kafka';
import { PACKAGE_ROOT as ROOT } from '../src/config/config.js';
import { KAFKA_CACHE_DIR, startBroker, stopBroker } from '../scripts/broker-control.js';
import { readAdult } from '../test/helpers/adult.js';
import { gatewayHasFlag, prepareGatewayModel, startGateway } from './lib/gateway-process.js';
import { benchMessages, produceFlood, ResultReader } from './lib/kafka-io.js';
import { descendantsOf, TreeUsage } from './lib/process-cpu.js';
import { defaultJetTuning, startJet } from './lib/systems/jet.js';

/** Per process: ns on a CPU and ns runnable but waiting for one (/proc/<pid>/task/<tid>/schedstat), main thread and all threads. */
interface Sched { name: string; mainRun: number; mainWait: number; allRun: number; allWait: number }
function schedOf(pid: number): Sched | undefined {
  try {
    const name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    const s: Sched = { name, mainRun: 0, mainWait: 0, allRun: 0, allWait: 0 };
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      s.allRun += run!;
      s.allWait += wait!;
      if (Number(tid) === pid) Object.assign(s, { mainRun: run, mainWait: wait });
    }
    return s;
  } catch {
    return undefined;
  }
}
function schedTree(pids: readonly number[]): Map<number, Sched> {
  return new Map(pids.flatMap((p) => { const s = schedOf(p); return s ? [[p, s] as const] : []; }));
}
function brokerPids(): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => { try { return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('kprof-broker'); } catch { return false; } }).map(Number);
}
function schedLines(before: Map<number, Sched>, after: Map<number, Sched>, wallMs: number): string[] {
  const ms = (ns: number): number => Math.round(ns / 1e6);
  return [...after].flatMap(([pid, a]) => {
    const b = before.get(pid);
    if (!b) return [];
    const run = a.mainRun - b.mainRun, wait = a.mainWait - b.mainWait;
    return [`  ${a.name} ${pid}: main thread on CPU ${ms(run)} ms (${pct(run / 1e6, wallMs)}), runnable-but-waiting ${ms(wait)} ms (${pct(wait / 1e6, wallMs)}), blocked/sleeping ${pct(wallMs - (run + wait) / 1e6, wallMs)}; all threads on CPU ${ms(a.allRun - b.allRun)} ms, waiting ${ms(a.allWait - b.allWait)} ms`];
  });
}

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const RECORDS = Number(arg('records', '20000'));
const WARMUP = Number(arg('warmup-records', '5000'));
const OUT = arg('out', path.join(ROOT, '.cache', 'kafka-profile'));
const variants = arg('variants', 'base=')
  .split(';')
  .filter((v) => v.trim() !== '')
  .map((v) => {
    const [name, rest = ''] = v.split('=', 2).length === 2 ? [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)] : [v, ''];
    const words = rest.split(/\s+/).filter((w) => w !== '');
    const partitions = Number(words.find((w) => w.startsWith('@partitions='))?.split('=')[1] ?? arg('partitions', '4'));
    const workersAt = words.indexOf('--workers');
    return { name: name!.trim(), args: words.filter((w) => !w.startsWith('@')), partitions, workers: workersAt >= 0 ? Number(words[workersAt + 1]) : Number(arg('workers', '2')) };
  });

interface TraceEvent { op: string; at: number; ms: number; records?: number; client?: string; apiKey?: number }
interface Sample { at: number; values: Record<string, number> }

function parseMetrics(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (m) out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2]);
  }
  return out;
}
const scrape = async (url: string): Promise<Record<string, number>> => parseMetrics(await (await fetch(`${url}/metrics`)).text());

const r1 = (v: number): number => Math.round(v * 10) / 10;
const pct = (a: number, b: number): string => `${r1((100 * a) / b)} %`;

function summariseOps(events: TraceEvent[], op: string, filter: (e: TraceEvent) => boolean = () => true): string {
  const es = events.filter((e) => e.op === op && filter(e));
  if (es.length === 0) return `${op}: none`;
  const ms = es.map((e) => e.ms).sort((a, b) => a - b);
  const total = ms.reduce((a, b) => a + b, 0);
  const records = es.reduce((a, e) => a + (e.records ?? 0), 0);
  return `${op}: ${es.length} calls, ${r1(total)} ms in total, mean ${r1(total / es.length)} ms, p50 ${r1(ms[Math.floor(ms.length / 2)]!)} ms, max ${r1(ms.at(-1)!)} ms${records ? `, ${r1(records / es.length)} records/call` : ''}`;
}

/** Total length of the union of intervals (ms). */
function unionMs(intervals: [number, number][]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let cur: [number, number] | undefined;
  for (const iv of sorted) {
    if (!cur || iv[0] > cur[1]) {
      if (cur) total += cur[1] - cur[0];
      cur = [...iv];
    } else cur[1] = Math.max(cur[1], iv[1]);
  }
  if (cur) total += cur[1] - cur[0];
  return total;
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}

interface CpuProfile { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]; startTime: number; samples: number[]; timeDeltas: number[] }

function profileTop(file: string, clock: { epochMs: number; hrUs: number }, from: number, to: number, n = 18): string[] {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((node) => [node.id, node.callFrame]));
  const self = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let t = p.startTime;
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i]!;
    const at = clock.epochMs + (t - clock.hrUs) / 1000;
    if (at < from || at > to) continue;
    const dt = (p.timeDeltas[i + 1] ?? 1000) / 1000;
    const f = byId.get(p.samples[i]!)!;
    const where = f.url.replace(/^file:\/\//, '').replace(`${ROOT}/`, '');
    const key = `${f.functionName || '(anonymous)'} ${where ? `${path.basename(where)}:${f.lineNumber + 1}` : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
    const pkg = f.url === '' ? f.functionName : /node_modules\/(@[^/]+\/[^/]+|[^/]+)/.exec(where)?.[1] ?? (where.startsWith('node:') ? 'node core' : where.startsWith('dist/') ? 'gateway dist/' : where);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + dt);
    total += dt;
  }
  const fmt = (m: Map<string, number>): string[] => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, ms]) => `  ${r1(ms)} ms (${pct(ms, total)}) ${k}`);
  return [`profile window ${r1(total)} ms sampled`, 'by package/bucket:', ...fmt(byPackage).slice(0, 10), 'top self time:', ...fmt(self)];
}

async function run(brokers: string, variant: (typeof variants)[number], rows: readonly Buffer[]): Promise<string[]> {
  const id = `kprof-${variant.name}-${randomUUID().slice(0, 8)}`;
  const dir = path.join(OUT, id);
  mkdirSync(dir, { recursive: true });
  const topics = { input: `${id}.in`, output: `${id}.out`, dlq: `${id}.dlq` };
  const admin = new Admin({ clientId: 'kprof-admin', bootstrapBrokers: [brokers] });
  await admin.createTopics({ topics: Object.values(topics), partitions: variant.partitions, replicas: 1 });
  await admin.close();

  if (variant.name.startsWith('jet')) return runJet(brokers, topics, variant, rows);
  const traceFile = path.join(dir, 'kafka-trace.json');
  const saved = { NODE_OPTIONS: process.env.NODE_OPTIONS, KAFKA_TRACE_FILE: process.env.KAFKA_TRACE_FILE, KAFKA_CPU_PROFILE: process.env.KAFKA_CPU_PROFILE };
  process.env.NODE_OPTIONS = `${saved.NODE_OPTIONS ?? ''} --import ${path.join(ROOT, 'bench', 'lib', 'kafka-trace-preload.mjs')}`.trim();
  process.env.KAFKA_TRACE_FILE = traceFile;
  process.env.KAFKA_CPU_PROFILE = path.join(dir, 'gateway.cpuprofile');
  const WORKERS = variant.workers;
  const gateway = await startGateway({
    workers: WORKERS,
    maxBatchRows: 1024,
    latencySloMs: 3_600_000,
    extraArgs: ['--kafka-brokers', brokers, '--kafka-input-topic', topics.input, '--kafka-output-topic', topics.output, '--kafka-dlq-topic', topics.dlq, '--kafka-group-id', `${id}.gateway`, ...variant.args],
  });
  for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;

  let lines: string[] = [];
  let window: [number, number] = [0, 0];
  try {
    const w = await ResultReader.open(brokers, topics.output, 'w-', false);
    await produceFlood(brokers, benchMessages(topics.input, 'w-', rows, WARMUP));
    if (!(await w.until(WARMUP, 240_000))) throw new Error('warm-up did not finish');
    await w.close();

    const reader = await ResultReader.open(brokers, topics.output, 'm-', false);
    const before = await scrape(gateway.url);
    const samples: Sample[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        samples.push({ at: Date.now(), values: await scrape(gateway.url) });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const usage = new TreeUsage(gateway.pid);
    const schedPids = [...descendantsOf(gateway.pid), ...brokerPids()];
    const schedBefore = schedTree(schedPids);
    const start = Date.now();
    await produceFlood(brokers, benchMessages(topics.input, 'm-', rows, RECORDS));
    const produced = Date.now();
    if (!(await reader.until(RECORDS, 600_000))) throw new Error(`${reader.results.size} of ${RECORDS} results`);
    const used = usage.stop();
    const schedAfter = schedTree(schedPids);
    const end = Math.max(...[...reader.results.values()].map((r) => r.readAtMs));
    sampling = false;
    await sampler;
    await reader.close();
    const after = await scrape(gateway.url);
    window = [start, end];
    const wallMs = end - start;
    const d = (name: string): number => (after[name] ?? 0) - (before[name] ?? 0);
    const batches = d('gateway_batch_rows_count');
    const inWindow = samples.filter((s) => s.at >= start && s.at <= end);
    const share = (pred: (s: Sample) => boolean): string => pct(inWindow.filter(pred).length, inWindow.length);
    const v = (s: Sample, name: string): number => s.values[name] ?? 0;
    lines = [
      `== ${variant.name} (gateway ${variant.args.join(' ') || 'defaults'}; ${variant.partitions} partitions; ${RECORDS} records)`,
      `wall ${wallMs} ms (producing ${produced - start} ms): ${Math.round(RECORDS / (wallMs / 1000))} records/s; CPU ${used.cpuSeconds} s (${used.cores} cores), Node alone ${used.rootCpuSeconds ?? '?'} s`,
      `workers busy: ${r1(d('gateway_batch_duration_seconds_sum') * 1000)} ms of batches = ${pct(d('gateway_batch_duration_seconds_sum') * 1000, wallMs * WORKERS)} of ${WORKERS} x wall`,
      `batches: ${batches}, ${r1(d('gateway_batch_rows_sum') / batches)} rows/batch, ${r1((d('gateway_batch_duration_seconds_sum') * 1000) / batches)} ms/batch; queue wait sum ${r1(d('gateway_queue_wait_seconds_sum'))} s over ${d('gateway_queue_wait_seconds_count')} requests`,
      `deliveries (produce+commit rounds): ${d('gateway_kafka_deliveries_total')}`,
      `scheduler (/proc schedstat, produce start -> last result read):`,
      ...schedLines(schedBefore, schedAfter, wallMs),
      `samples (${inWindow.length}, every ~100 ms): batches in flight 0: ${share((s) => v(s, 'gateway_batches_in_flight') === 0)}, 1: ${share((s) => v(s, 'gateway_batches_in_flight') === 1)}, 2+: ${share((s) => v(s, 'gateway_batches_in_flight') >= 2)}; queue empty: ${share((s) => v(s, 'gateway_queue_depth_rows') === 0)}; consumer paused: ${share((s) => v(s, 'gateway_kafka_paused') === 1)}; mean Kafka in-flight records ${Math.round(inWindow.reduce((a, s) => a + v(s, 'gateway_kafka_in_flight_records'), 0) / Math.max(1, inWindow.length))}, mean queue ${Math.round(inWindow.reduce((a, s) => a + v(s, 'gateway_queue_depth_rows'), 0) / Math.max(1, inWindow.length))} rows`,
    ];
  } finally {
    await gateway.stop();
  }
  const trace = JSON.parse(readFileSync(traceFile, 'utf8')) as { clock: { epochMs: number; hrUs: number }; events: TraceEvent[] };
  const ev = trace.events.filter((e) => e.at >= window[0] && e.at <= window[1]);
  const sends = ev.filter((e) => e.op === 'producer:sends');
  const commits = ev.filter((e) => e.op === 'consumer:commits');
  const fetches = ev.filter((e) => e.op === 'consumer:fetches');
  const deliveryBusy = unionMs([...sends, ...commits].map((e) => [e.at, e.at + e.ms]));
  const wallMs = window[1] - window[0];
  lines.push(
    summariseOps(ev, 'producer:sends'),
    summariseOps(ev, 'consumer:commits'),
    summariseOps(ev, 'consumer:fetches'),
    `fetches returning 0 records: ${fetches.filter((f) => !f.records).length}; fetch time total ${r1(unionMs(fetches.map((e) => [e.at, e.at + e.ms])))} ms`,
    `delivery loop in a produce or commit round trip: ${r1(deliveryBusy)} ms = ${pct(deliveryBusy, wallMs)} of wall; produce ${r1(sends.reduce((a, e) => a + e.ms, 0))} ms, commit ${r1(commits.reduce((a, e) => a + e.ms, 0))} ms`,
    `broker requests by api key (0 produce, 1 fetch, 3 metadata, 8 offset commit, 12 heartbeat): ${JSON.stringify(Object.fromEntries([...groupBy(ev.filter((e) => e.op === 'connections:api'), (e) => e.apiKey ?? -1)].map(([k, es]) => [k, `${es.length}x ${r1(es.reduce((a, e) => a + e.ms, 0) / es.length)} ms`])))}`,
  );
  const profile = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f)).sort((a, b) => statSync(b).size - statSync(a).size)[0];
  if (profile) lines.push(`cpu profile: ${path.relative(ROOT, profile)}`, ...profileTop(profile, trace.clock, window[0], window[1]));
  return lines;
}

/** The same throughput window for Jet (at-least-once, the committed tuning): CPU and scheduler figures only. */
async function runJet(brokers: string, topics: { input: string; output: string }, variant: (typeof variants)[number], rows: readonly Buffer[]): Promise<string[]> {
  const jet = await startJet({ ...defaultJetTuning(), brokers, inputTopic: topics.input, outputTopic: topics.output, guarantee: 'at-least-once' });
  try {
    const w = await ResultReader.open(brokers, topics.output, 'w-', false);
    await produceFlood(brokers, benchMessages(topics.input, 'w-', rows, WARMUP));
    if (!(await w.until(WARMUP, 240_000))) throw new Error('jet warm-up did not finish');
    await w.close();
    const reader = await ResultReader.open(brokers, topics.output, 'm-', false);
    const usage = new TreeUsage(jet.pid);
    const schedPids = [...descendantsOf(jet.pid), ...brokerPids()];
    const schedBefore = schedTree(schedPids);
    const start = Date.now();
    await produceFlood(brokers, benchMessages(topics.input, 'm-', rows, RECORDS));
    const produced = Date.now();
    if (!(await reader.until(RECORDS, 600_000))) throw new Error(`jet: ${reader.results.size} of ${RECORDS} results`);
    const used = usage.stop();
    const schedAfter = schedTree(schedPids);
    const end = Math.max(...[...reader.results.values()].map((r) => r.readAtMs));
    await reader.close();
    const wallMs = end - start;
    return [
      `== ${variant.name} (Jet, at-least-once, ${JSON.stringify(defaultJetTuning())}; ${variant.partitions} partitions; ${RECORDS} records)`,
      `wall ${wallMs} ms (producing ${produced - start} ms): ${Math.round(RECORDS / (wallMs / 1000))} records/s; CPU ${used.cpuSeconds} s (${used.cores} cores), JVM alone ${used.rootCpuSeconds ?? '?'} s`,
      `scheduler (/proc schedstat, produce start -> last result read):`,
      ...schedLines(schedBefore, schedAfter, wallMs),
    ];
  } finally {
    await jet.stop();
  }
}

async function main(): Promise<void> {
  prepareGatewayModel();
  gatewayHasFlag('latency-slo-ms'); // cached now, so the --help run does not inherit the profiling options
  const rows = readAdult().map((r) => Buffer.from(JSON.stringify(r.row)));
  const brokerDir = path.join(KAFKA_CACHE_DIR, 'kprof-broker');
  const brokers = process.env.KAFKA_BROKERS ?? (await startBroker({ dir: brokerDir, partitions: 4, progress: (line) => process.stderr.write(`kafka: ${line}\n`) }));
  try {
    for (const variant of variants) {
      const lines = await run(brokers, variant, rows);
      process.stdout.write(`${lines.join('\n')}\n\n`);
    }
  } finally {
    if (process.env.KAFKA_BROKERS === undefined) await stopBroker(brokerDir);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
