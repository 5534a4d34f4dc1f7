/**
 * Scenario: scale-out over Kafka. The same single-row HTTP load against
 *
 * - a local gateway (HTTP, its own Python workers),
 * - one forwarding front end (`--forward-to-kafka`, no workers) + one worker instance,
 * - one front end + two worker instances (one consumer group),
 *
 * all on this machine and one local broker: peak requests/s and p99 with
 * `--connections` closed-loop connections (autocannon), and the latency of
 * one request at a time (the hop's added latency at low load). Two cores
 * bound what one machine can show: the worker instances share the cores the
 * local gateway has alone, so these figures give the hop's overhead (as a
 * ratio to the local gateway), not the gain of more machines.
 *
 *     npm run bench:scale-out [-- --duration 15 --low-load-duration 10 --connections 64 --workers 2]
 *     KAFKA_BROKERS=host:port npm run bench:scale-out     # an existing broker instead of a local one
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Admin } from '@platformatic/kafka';
import { PACKAGE_ROOT as ROOT } from '../src/config/config.js';
import { KAFKA_CACHE_DIR, startBroker, stopBroker } from '../scripts/broker-control.js';
import { readAdult } from '../test/helpers/adult.js';
import { closedLoop, type ClosedLoopResult } from './lib/closed-loop.js';
import { startGateway, type GatewayProcess } from './lib/gateway-process.js';
import { markdownTable, replaceSection } from './lib/markdown-section.js';
import { formatTable, loadAverage, machine, writeResult } from './lib/results.js';
import { sequentialLoad, type SequentialResult } from './lib/sequential-load.js';
import { Settings } from './lib/settings.js';

const DEPLOYMENTS = ['local', 'front end + 1 worker instance', 'front end + 2 worker instances'] as const;
type Deployment = (typeof DEPLOYMENTS)[number];

interface Run {
  readonly deployment: Deployment;
  readonly peak: ClosedLoopResult;
  readonly lowLoad: SequentialResult;
}

const settings = new Settings(['duration', 'low-load-duration', 'connections', 'workers', 'partitions']);
const durationS = settings.int('duration', 'BENCH_DURATION', 15);
const lowLoadS = settings.int('low-load-duration', 'BENCH_LOW_LOAD_DURATION', 10);
const connections = settings.int('connections', 'BENCH_CONNECTIONS', 64);
const workers = settings.int('workers', 'BENCH_WORKERS', 2);
const partitions = settings.int('partitions', 'BENCH_KAFKA_PARTITIONS', 4);
// Measured at full batches, as the other HTTP scenarios' raw figures are.
const LATENCY_SLO_MS = 3_600_000;
const bodies = readAdult()
  .slice(0, 2000)
  .map((r) => Buffer.from(JSON.stringify(r.row)));

async function createTopics(brokers: string, id: string): Promise<{ input: string; output: string; dlq: string }> {
  const topics = { input: `${id}.in`, output: `${id}.out`, dlq: `${id}.dlq` };
  const admin = new Admin({ clientId: 'bench-admin', bootstrapBrokers: [brokers] });
  await admin.createTopics({ topics: Object.values(topics), partitions, replicas: 1 });
  await admin.close();
  return topics;
}

/** The processes of one deployment, the URL its HTTP callers use, and how to stop them all. */
async function deploy(deployment: Deployment, brokers: string): Promise<{ url: string; stop: () => Promise<void> }> {
  if (deployment === 'local') {
    const gateway = await startGateway({ workers, latencySloMs: LATENCY_SLO_MS });
    return { url: gateway.url, stop: async () => void (await gateway.stop()) };
  }
  const id = `bench-scale-${randomUUID().slice(0, 8)}`;
  const topics = await createTopics(brokers, id);
  const kafka = ['--kafka-brokers', brokers, '--kafka-input-topic', topics.input, '--kafka-output-topic', topics.output, '--kafka-dlq-topic', topics.dlq, '--kafka-group-id', `${id}.workers`];
  const count = deployment === 'front end + 1 worker instance' ? 1 : 2;
  const started: GatewayProcess[] = [];
  try {
    // Worker instances keep HTTP on (a free port) only for their /health/ready and /metrics.
    // The same Python workers in total as the local gateway (one machine's cores): split over the instances.
    const perInstance = Math.max(1, Math.floor(workers / count));
    for (let i = 0; i < count; i++) started.push(await startGateway({ workers: perInstance, latencySloMs: LATENCY_SLO_MS, extraArgs: kafka }));
    // The group's rebalance after the last join: give the assignment time to settle before the load.
    await sleep(3000);
    started.push(await startGateway({ extraArgs: [...kafka, '--forward-to-kafka'] }));
  } catch (error) {
    await Promise.all(started.map((p) => p.stop()));
    throw error;
  }
  return { url: started.at(-1)!.url, stop: async () => void (await Promise.all(started.map((p) => p.stop()))) };
}

async function measure(deployment: Deployment, brokers: string): Promise<Run> {
  process.stderr.write(`scale-out: ${deployment}\n`);
  const { url, stop } = await deploy(deployment, brokers);
  try {
    // Warm-up: the workers' first batches, the cost model, the Kafka connections.
    await closedLoop({ url, path: '/predict', bodies, connections, durationS: 3 });
    const lowLoad = await sequentialLoad({ url, path: '/predict', bodies, durationS: lowLoadS, warmupRequests: 100 });
    const peak = await closedLoop({ url, path: '/predict', bodies, connections, durationS });
    return { deployment, peak, lowLoad };
  } finally {
    await stop();
  }
}

const brokerDir = path.join(KAFKA_CACHE_DIR, 'bench-broker');
const existing = process.env.KAFKA_BROKERS;
const brokers = existing ?? (await startBroker({ dir: brokerDir, partitions, progress: (line) => process.stderr.write(`kafka: ${line}\n`) }));
const load = { before: loadAverage() };
const runs: Run[] = [];
try {
  for (const deployment of DEPLOYMENTS) runs.push(await measure(deployment, brokers));
} finally {
  if (existing === undefined) await stopBroker(brokerDir);
}
Object.assign(load, { after: loadAverage() });

const local = runs[0]!;
const round = (v: number, digits = 2): number => Math.round(v * 10 ** digits) / 10 ** digits;
const rows = runs.map((run) => [
  run.deployment,
  Math.round(run.peak.okPerSec),
  run.peak.latencyMs.p99,
  `${round(run.peak.okPerSec / local.peak.okPerSec)}x`,
  round(run.lowLoad.latencyMs.p50),
  round(run.lowLoad.latencyMs.p99),
  run === local ? '–' : `+${round(run.lowLoad.latencyMs.p50 - local.lowLoad.latencyMs.p50)}`,
  run.peak.non2xx + run.peak.errors + run.lowLoad.failures,
]);
const header = ['deployment', 'peak ok req/s', 'peak p99 ms', 'vs local', 'low-load p50 ms', 'low-load p99 ms', 'added p50 ms', 'failed'];
const result = { scenario: 'scale-out', date: new Date().toISOString(), machine: machine(), load, settings: { durationS, lowLoadS, connections, workers, partitions }, runs };
const file = writeResult('scale-out', result);
process.stdout.write(`${formatTable(header, rows)}\n\nresults: ${path.relative(ROOT, file)}\n`);

const m = machine();
replaceSection(
  path.join(ROOT, 'bench', 'RESULTS.md'),
  'scale-out',
  `## Scale-out over Kafka (\`npm run bench:scale-out\`, ${result.date.slice(0, 10)})

Single rows over HTTP to a local gateway, and to a forwarding front end
(\`--forward-to-kafka\`) over one and two worker instances (the Kafka front
door, one consumer group, ${partitions} partitions), all on this machine
(${m.cpus} cores, ${m.cpuModel}) with one local broker. Every deployment
has ${workers} Python workers in all (the local gateway \`--workers ${workers}\`,
the worker instances split them); peak: ${connections} connections,
closed loop, ${durationS} s (autocannon); low load: one request at a time,
${lowLoadS} s. Load average before/after: ${load.before.map((v) => v.toFixed(1)).join(' ')} / ${loadAverage()
    .map((v) => v.toFixed(1))
    .join(' ')}.

${markdownTable(header, rows)}

**Two cores bound what one machine can show.** The worker instances, the
front end and the broker share the cores the local gateway has alone, so a
second worker instance here adds Python processes, not cores: these rows
measure the overhead of the hop (the "vs local" ratio), not the gain of a
second machine. On separate machines each worker instance brings its own
cores and the front end's share is its HTTP parsing, validation and one
produce and one fetch per batch of rows. "added p50 ms" is the hop's
latency at low load: two Kafka round trips (produce to the input topic,
the worker's reply to the front end's reply topic) plus the worker
instance's consumer fetch.`,
);
