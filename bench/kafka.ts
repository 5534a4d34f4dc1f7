/**
 * Scenario: Kafka streaming end to end. Records of adult.test go to the input
 * topic as fast as one producer sends them; the clock stops when the last
 * result is read from the output topic. Run at-least-once and exactly-once,
 * each against the raw model's rows/s at the gateway's batch size.
 *
 *     npm run bench:kafka [-- --records 50000 --workers 2 --max-batch-rows 1024]
 *     KAFKA_BROKERS=host:port npm run bench:kafka     # an existing broker instead of a local one
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Admin, Consumer, FetchIsolationLevels, MessagesStreamModes, Producer, type MessageToProduce } from '@platformatic/kafka';
import { KAFKA_CACHE_DIR, startBroker, stopBroker } from '../scripts/broker-control.js';
import { readAdult } from '../test/helpers/adult.js';
import { batchesBetween, batchTotals } from './lib/gateway-metrics.js';
import { prepareGatewayModel, startGateway } from './lib/gateway-process.js';
import { rawModelTime } from './lib/raw-model-time.js';
import { formatTable, machine, writeResult } from './lib/results.js';
import { Settings } from './lib/settings.js';

export interface KafkaBenchOptions {
  /** Records per measured run. */
  readonly records?: number;
  readonly warmupRecords?: number;
  readonly workers?: number;
  readonly maxBatchRows?: number;
  /** An existing cluster; otherwise a local broker is started (and stopped) for the run. */
  readonly brokers?: string;
  readonly partitions?: number;
}

export interface KafkaModeResult {
  readonly mode: 'at-least-once' | 'exactly-once';
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSec: number;
  /** Longest pause between two results: a stall (a retry back-off, a rebalance) shows here. */
  readonly maxGapMs: number;
  /** How long sending the records took: the end-to-end figure cannot beat the producer. */
  readonly produceSeconds: number;
  /** Mean rows per batch the gateway sent to its workers during the run. */
  readonly meanBatchRows: number | null;
  /** The raw model's rows/s at `maxBatchRows` (one process). */
  readonly rawRowsPerSec: number;
  /** recordsPerSec / rawRowsPerSec. */
  readonly ratioToRaw: number;
  /** The issue's target: 0.8 at-least-once, 0.5 exactly-once. */
  readonly target: number;
  readonly met: boolean;
}

export interface KafkaBenchResult {
  readonly scenario: 'kafka';
  readonly machine: ReturnType<typeof machine>;
  readonly settings: Required<Omit<KafkaBenchOptions, 'brokers'>> & { readonly latencySloMs: number };
  readonly raw: { readonly batchRows: number; readonly medianMs: number; readonly rowsPerSec: number };
  readonly modes: readonly KafkaModeResult[];
}

type Message = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

// The manifest's latency objective trims batches by a learned cost model; this
// scenario measures the streaming path at full batches, as the raw figure is.
const LATENCY_SLO_MS = 3_600_000;
const TARGETS = { 'at-least-once': 0.8, 'exactly-once': 0.5 } as const;

/** Sends everything with a few requests in flight: the producer must not be what is measured. */
async function produceAll(brokers: string, messages: readonly Message[]): Promise<void> {
  const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({ clientId: 'bench-producer', bootstrapBrokers: [brokers], idempotent: false });
  try {
    const chunks: Message[][] = [];
    for (let i = 0; i < messages.length; i += 1000) chunks.push(messages.slice(i, i + 1000));
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < chunks.length) await producer.send({ messages: chunks[next++]! });
    };
    await Promise.all([lane(), lane(), lane(), lane()]);
  } finally {
    await producer.close();
  }
}

/** Resolves with the time the `count`-th record whose key starts with `prefix` arrived. */
async function readUntil(brokers: string, topic: string, prefix: string, count: number, readCommitted: boolean, timeoutMs: number): Promise<{ consumer: Consumer<Buffer, Buffer, Buffer, Buffer>; done: Promise<number>; maxGapMs: () => number }> {
  const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
    clientId: 'bench-reader',
    groupId: `bench-reader-${randomUUID()}`,
    bootstrapBrokers: [brokers],
    autocommit: false,
    maxWaitTime: 100,
    isolationLevel: readCommitted ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED,
    autocreateTopics: true,
  });
  const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST });
  const seen = new Set<string>();
  let last: number | undefined;
  let maxGap = 0;
  const done = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${topic}: ${seen.size} of ${count} results within ${timeoutMs} ms`)), timeoutMs);
    stream.on('data', (message) => {
      const key = message.key?.toString() ?? '';
      if (!key.startsWith(prefix)) return;
      const now = performance.now();
      if (last !== undefined) maxGap = Math.max(maxGap, now - last);
      last = now;
      seen.add(key);
      if (seen.size === count) {
        clearTimeout(timer);
        resolve(performance.now());
      }
    });
  });
  return { consumer, done, maxGapMs: () => Math.round(maxGap) };
}

function messagesFor(topic: string, prefix: string, rows: readonly Buffer[], count: number): Message[] {
  return Array.from({ length: count }, (_, i) => ({ topic, key: Buffer.from(`${prefix}${i}`), value: rows[i % rows.length]! }));
}

async function runMode(mode: KafkaModeResult['mode'], brokers: string, settings: KafkaBenchResult['settings'], rows: readonly Buffer[], raw: KafkaBenchResult['raw']): Promise<KafkaModeResult> {
  const id = `bench-${mode}-${randomUUID().slice(0, 8)}`;
  const topics = { input: `${id}.in`, output: `${id}.out`, dlq: `${id}.dlq` };
  const admin = new Admin({ clientId: 'bench-admin', bootstrapBrokers: [brokers] });
  await admin.createTopics({ topics: Object.values(topics), partitions: settings.partitions, replicas: 1 });
  await admin.close();

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
  try {
    const readCommitted = mode === 'exactly-once';
    const warm = await readUntil(brokers, topics.output, 'w-', settings.warmupRecords, readCommitted, 120_000);
    await produceAll(brokers, messagesFor(topics.input, 'w-', rows, settings.warmupRecords));
    await warm.done;
    await warm.consumer.close(true);

    const reader = await readUntil(brokers, topics.output, 'm-', settings.records, readCommitted, 600_000);
    const messages = messagesFor(topics.input, 'm-', rows, settings.records);
    const before = await batchTotals(gateway.url);
    const start = performance.now();
    await produceAll(brokers, messages);
    const produced = performance.now();
    const end = await reader.done;
    const after = await batchTotals(gateway.url);
    await reader.consumer.close(true);

    const seconds = (end - start) / 1000;
    const recordsPerSec = Math.round(settings.records / seconds);
    const ratioToRaw = Math.round((recordsPerSec / raw.rowsPerSec) * 100) / 100;
    return {
      mode,
      records: settings.records,
      seconds: Math.round(seconds * 100) / 100,
      recordsPerSec,
      maxGapMs: reader.maxGapMs(),
      produceSeconds: Math.round(((produced - start) / 1000) * 100) / 100,
      meanBatchRows: batchesBetween(before, after)?.meanRows ?? null,
      rawRowsPerSec: raw.rowsPerSec,
      ratioToRaw,
      target: TARGETS[mode],
      met: ratioToRaw >= TARGETS[mode],
    };
  } finally {
    await gateway.stop();
  }
}

/** Runs both delivery modes and returns the figures (also written to bench/results/kafka-*.json). */
export async function runKafkaBench(options: KafkaBenchOptions = {}): Promise<KafkaBenchResult> {
  const settings = {
    records: options.records ?? 50_000,
    warmupRecords: options.warmupRecords ?? 5000,
    workers: options.workers ?? 2,
    maxBatchRows: options.maxBatchRows ?? 1024,
    partitions: options.partitions ?? 4,
    latencySloMs: LATENCY_SLO_MS,
  };
  prepareGatewayModel();
  const [timing] = rawModelTime([settings.maxBatchRows], 30);
  if (!timing) throw new Error('python/bench/model_predict.py returned no timing');
  const raw = { batchRows: timing.n, medianMs: timing.medianMs, rowsPerSec: timing.rowsPerSec };
  const rows = readAdult().map((r) => Buffer.from(JSON.stringify(r.row)));

  const brokerDir = path.join(KAFKA_CACHE_DIR, 'bench-broker');
  const brokers = options.brokers ?? (await startBroker({ dir: brokerDir, partitions: settings.partitions, progress: (line) => process.stderr.write(`kafka: ${line}\n`) }));
  const modes: KafkaModeResult[] = [];
  try {
    for (const mode of ['at-least-once', 'exactly-once'] as const) {
      process.stderr.write(`kafka: ${mode}, ${settings.records} records…\n`);
      modes.push(await runMode(mode, brokers, settings, rows, raw));
    }
  } finally {
    if (options.brokers === undefined) await stopBroker(brokerDir);
  }
  const result: KafkaBenchResult = { scenario: 'kafka', machine: machine(), settings, raw, modes };
  const file = writeResult('kafka', result);
  process.stderr.write(
    `${formatTable(
      ['mode', 'records/s', 'seconds', 'producing s', 'max gap ms', 'rows/batch', `raw rows/s @${raw.batchRows}`, 'ratio', 'target'],
      modes.map((m) => [m.mode, m.recordsPerSec, m.seconds, m.produceSeconds, m.maxGapMs, m.meanBatchRows ?? '-', m.rawRowsPerSec, m.ratioToRaw, `${m.met ? 'met' : 'MISSED'} (>= ${m.target})`]),
    )}\n(results: ${file})\n`,
  );
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const settings = new Settings(['records', 'warmup-records', 'workers', 'max-batch-rows', 'partitions']);
  const brokers = process.env.KAFKA_BROKERS;
  runKafkaBench({
    records: settings.int('records', 'BENCH_KAFKA_RECORDS', 50_000),
    warmupRecords: settings.int('warmup-records', 'BENCH_KAFKA_WARMUP_RECORDS', 5000),
    workers: settings.int('workers', 'BENCH_WORKERS', 2),
    maxBatchRows: settings.int('max-batch-rows', 'BENCH_MAX_BATCH_ROWS', 1024),
    partitions: settings.int('partitions', 'BENCH_KAFKA_PARTITIONS', 4),
    ...(brokers ? { brokers } : {}),
  }).then(
    (result) => process.stdout.write(`${JSON.stringify(result, null, 2)}\n`),
    (error: unknown) => {
      process.stderr.write(`bench/kafka: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
