import { randomUUID } from 'node:crypto';
import { Admin, Consumer, FetchIsolationLevels, MessagesStreamModes, Producer, type Message, type MessageToProduce } from '@platformatic/kafka';
import { inject } from 'vitest';
import type { Row } from '../../src/model/row-schema.js';

export type Record_ = Message<Buffer, Buffer, Buffer, Buffer>;

/** The broker the suite runs against (its own, or KAFKA_BROKERS). */
export function kafkaBrokers(): string {
  const brokers = inject('kafkaBrokers');
  if (brokers === '') throw new Error('no Kafka broker for this run: the Kafka global setup was skipped');
  return brokers;
}

/** Fresh topic names for one test, so tests never read each other's records. */
export function testTopics(label: string): { input: string; output: string; dlq: string; group: string } {
  const id = `${label}-${randomUUID().slice(0, 8)}`;
  return { input: `${id}.in`, output: `${id}.out`, dlq: `${id}.dlq`, group: `${id}.gateway` };
}

/**
 * Options every test client passes. The client's own connect timeout (5 s)
 * is a timer that runs until this process handles the socket's connect
 * event, and its expiry is not retried: in the suite run beside a CPU hog per
 * core, three clients of one test "timed out" at the same moment against
 * the broker that had just served the tests before it (a connect on loopback
 * completes in the kernel, so most likely this process had not run for that
 * long). The tests bound their own waits, so the clients may wait longer.
 */
export const TEST_CLIENT_OPTIONS = { connectTimeout: 30_000 } as const;

export async function createTopics(topics: readonly string[], partitions = 4): Promise<void> {
  const admin = new Admin({ ...TEST_CLIENT_OPTIONS, clientId: 'test-admin', bootstrapBrokers: [kafkaBrokers()] });
  try {
    await admin.createTopics({ topics: [...topics], partitions, replicas: 1 });
  } finally {
    await admin.close();
  }
}

/** A record for the input topic: value = the row as JSON (or raw text), key = `id`. */
export function rowRecord(topic: string, id: string, row: Row | string, headers: Record<string, string> = {}): MessageToProduce<Buffer, Buffer, Buffer, Buffer> {
  return {
    topic,
    key: Buffer.from(id),
    value: Buffer.from(typeof row === 'string' ? row : JSON.stringify(row)),
    headers: new Map(Object.entries(headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])),
  };
}

/** Produces records in order (one producer, sequential sends of `chunk` records). */
export async function produce(records: readonly MessageToProduce<Buffer, Buffer, Buffer, Buffer>[], chunk = 500): Promise<void> {
  const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({ ...TEST_CLIENT_OPTIONS, clientId: 'test-producer', bootstrapBrokers: [kafkaBrokers()], idempotent: true, autocreateTopics: true });
  try {
    for (let i = 0; i < records.length; i += chunk) await producer.send({ messages: records.slice(i, i + chunk) });
  } finally {
    await producer.close();
  }
}

/** A reader of a topic from its beginning, collecting every record. */
export class TopicReader {
  readonly records: Record_[] = [];
  readonly #consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;
  #closed = false;
  #ready: Promise<void>;

  constructor(readonly topic: string, options: { readCommitted?: boolean } = {}) {
    this.#consumer = new Consumer({
      ...TEST_CLIENT_OPTIONS,
      clientId: 'test-reader',
      groupId: `reader-${randomUUID()}`,
      bootstrapBrokers: [kafkaBrokers()],
      autocommit: false,
      maxWaitTime: 200,
      isolationLevel: options.readCommitted === false ? FetchIsolationLevels.READ_UNCOMMITTED : FetchIsolationLevels.READ_COMMITTED,
      autocreateTopics: true,
    });
    this.#ready = this.#consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST }).then((stream) => {
      stream.on('data', (message: Record_) => {
        if (!this.#closed) this.records.push(message);
      });
      stream.on('error', () => {});
    });
    // waitFor awaits it and throws what failed; until then a failure is not an unhandled rejection.
    this.#ready.catch(() => {});
  }

  /** Resolves once `count` records arrived; rejects with what arrived if the deadline passes first. */
  async waitFor(count: number, timeoutMs = 60_000): Promise<Record_[]> {
    await this.#ready;
    await until(() => this.records.length >= count, timeoutMs, () => `${this.topic}: ${this.records.length} of ${count} records`);
    return this.records;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#consumer.close(true);
  }
}

/** Polls `condition` every 50 ms until it holds; throws `describe()` at the deadline. */
export async function until(condition: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function headerOf(record: Record_, name: string): string | undefined {
  for (const [key, value] of record.headers) if (key.toString() === name) return value.toString();
  return undefined;
}

/** How many results each key got. */
export function countByKey(records: readonly Record_[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const record of records) {
    const key = record.key?.toString() ?? '';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
