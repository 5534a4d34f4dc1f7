import { describe, expect, it } from 'vitest';
import { readAdult } from '../helpers/adult.js';
import { countByKey, createTopics, kafkaBrokers, produce, rowRecord, testTopics, TopicReader, until } from '../helpers/kafka.js';
import { startGatewayChild, type GatewayChild } from '../helpers/kafka-gateway.js';

/**
 * Delivery guarantees with real processes: a gateway is SIGKILLed mid-stream
 * and started again, or two share a consumer group. Batches are kept small
 * (8 rows, one worker) so the stream is still flowing when the kill lands.
 */
const ROWS = 3000;
const PARTITIONS = 4;
const rows = readAdult().slice(0, ROWS).map((r) => r.row);
const keys = rows.map((_, i) => `k-${i}`);

function gatewayArgs(topics: ReturnType<typeof testTopics>, extra: readonly string[] = []): string[] {
  return [
    '--kafka-brokers', kafkaBrokers(),
    '--kafka-input-topic', topics.input,
    '--kafka-output-topic', topics.output,
    '--kafka-dlq-topic', topics.dlq,
    '--kafka-group-id', topics.group,
    '--max-batch-rows', '8',
    // The Kafka path is under test, not the engine's latency objective.
    '--latency-slo-ms', '3600000',
    ...extra,
  ];
}

async function setUp(label: string): Promise<ReturnType<typeof testTopics>> {
  const topics = testTopics(label);
  await createTopics([topics.input, topics.output, topics.dlq], PARTITIONS);
  await produce(rows.map((row, i) => rowRecord(topics.input, keys[i]!, row)));
  return topics;
}

async function stop(gateway: GatewayChild | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<string | undefined> {
  if (!gateway) return undefined;
  gateway.kill(signal);
  return gateway.exited;
}

function missingKeys(reader: TopicReader): string[] {
  const seen = countByKey(reader.records);
  return keys.filter((key) => !seen.has(key));
}

describe('Kafka delivery across a SIGKILL', () => {
  it('at-least-once: every key has at least one result after a kill and a restart', async () => {
    const topics = await setUp('alo-kill');
    const output = new TopicReader(topics.output);
    let first: GatewayChild | undefined;
    let second: GatewayChild | undefined;
    try {
      first = await startGatewayChild(gatewayArgs(topics));
      await output.waitFor(ROWS / 5, 90_000);
      expect(await stop(first, 'SIGKILL')).toBe('signal SIGKILL');
      const answeredBeforeKill = output.records.length;
      expect(answeredBeforeKill).toBeLessThan(ROWS);

      second = await startGatewayChild(gatewayArgs(topics));
      await until(() => missingKeys(output).length === 0, 120_000, () => `${missingKeys(output).length} keys unanswered`);
      expect(await stop(second)).toBe('exit 0');
      expect(second.lines.some((l) => l.msg === 'Kafka consumer closed')).toBe(true);
    } finally {
      await stop(first, 'SIGKILL');
      await stop(second, 'SIGKILL');
      await output.close();
    }
  });

  it('exactly-once: a read_committed reader sees every key exactly once after a kill and a restart', async () => {
    const topics = await setUp('eos-kill');
    const output = new TopicReader(topics.output, { readCommitted: true });
    const eos = ['--exactly-once', '--kafka-transactional-id', `${topics.group}-tx`];
    let first: GatewayChild | undefined;
    let second: GatewayChild | undefined;
    try {
      first = await startGatewayChild(gatewayArgs(topics, eos));
      await output.waitFor(ROWS / 5, 90_000);
      expect(await stop(first, 'SIGKILL')).toBe('signal SIGKILL');
      expect(output.records.length).toBeLessThan(ROWS);

      second = await startGatewayChild(gatewayArgs(topics, eos));
      await until(() => missingKeys(output).length === 0, 120_000, () => `${missingKeys(output).length} keys unanswered`);
      expect(await stop(second)).toBe('exit 0');

      // Nothing writes the output topic now. A marker at the end of each of its
      // partitions, once read, proves the reader has seen everything before it.
      await produce(Array.from({ length: PARTITIONS }, (_, partition) => ({ ...rowRecord(topics.output, `end-${partition}`, '{}'), partition })));
      await until(() => Array.from({ length: PARTITIONS }).every((_, p) => output.records.some((r) => r.key.toString() === `end-${p}`)), 30_000, () => 'end markers read');
      const counts = countByKey(output.records.filter((r) => !r.key.toString().startsWith('end-')));
      const duplicated = [...counts].filter(([, n]) => n !== 1);
      expect(duplicated).toEqual([]);
      expect(counts.size).toBe(ROWS);
    } finally {
      await stop(first, 'SIGKILL');
      await stop(second, 'SIGKILL');
      await output.close();
    }
  });
});

describe('Kafka scale-out', () => {
  it('two gateways in one group share the partitions, and stopping one mid-stream loses nothing', async () => {
    const topics = testTopics('group');
    await createTopics([topics.input, topics.output, topics.dlq], PARTITIONS);
    const output = new TopicReader(topics.output);
    let a: GatewayChild | undefined;
    let b: GatewayChild | undefined;
    try {
      // A small in-flight window, so the first leaves records unanswered for the second to take over.
      const window = ['--kafka-max-in-flight', '100'];
      a = await startGatewayChild(gatewayArgs(topics, window));
      b = await startGatewayChild(gatewayArgs(topics, window));
      // The first member rejoins when the second arrives: wait until the split is visible in both.
      await until(() => a!.partitions().length > 0 && b!.partitions().length > 0 && a!.partitions().length + b!.partitions().length === PARTITIONS, 60_000, () => `assignments a=${JSON.stringify(a!.partitions())} b=${JSON.stringify(b!.partitions())}`);

      await produce(rows.map((row, i) => rowRecord(topics.input, keys[i]!, row)));
      await output.waitFor(ROWS / 4, 90_000);
      expect(await stop(a)).toBe('exit 0');
      await until(() => missingKeys(output).length === 0, 120_000, () => `${missingKeys(output).length} keys unanswered`);
      expect(await stop(b)).toBe('exit 0');

      const answered = (gateway: GatewayChild): number => gateway.lines.find((l) => l.msg === 'Kafka consumer closed')?.answered ?? 0;
      expect(answered(a)).toBeGreaterThan(0);
      expect(answered(b)).toBeGreaterThan(0);
      expect(answered(a) + answered(b)).toBeGreaterThanOrEqual(ROWS);
      // After the first left, the second took over all partitions.
      expect(b.partitions()).toEqual([0, 1, 2, 3]);
    } finally {
      await stop(a, 'SIGKILL');
      await stop(b, 'SIGKILL');
      await output.close();
    }
  });
});
