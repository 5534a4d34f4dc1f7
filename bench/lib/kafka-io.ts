import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Consumer, FetchIsolationLevels, MessagesStreamModes, Producer, type MessageToProduce } from '@platformatic/kafka';

export type BenchMessage = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

/** `count` records keyed `<prefix><i>`, cycling through `rows`: every system gets the same keys and values. */
export function benchMessages(topic: string, prefix: string, rows: readonly Buffer[], count: number): BenchMessage[] {
  return Array.from({ length: count }, (_, i) => ({ topic, key: Buffer.from(`${prefix}${i}`), value: rows[i % rows.length]! }));
}

/** When each key was produced (the timestamp its record carries), epoch ms. */
export type SentTimes = Map<string, number>;

function stamp(chunk: BenchMessage[], sent: SentTimes): BenchMessage[] {
  const now = Date.now();
  for (const message of chunk) sent.set(message.key!.toString(), now);
  // The record's CreateTime is the produce time the latency figures start from.
  return chunk.map((message) => ({ ...message, timestamp: BigInt(now) }));
}

/** Sends everything as fast as one producer can, four requests in flight: the producer must not be what is measured. */
export async function produceFlood(brokers: string, messages: readonly BenchMessage[], sent: SentTimes = new Map()): Promise<SentTimes> {
  const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({ clientId: 'bench-producer', bootstrapBrokers: [brokers], idempotent: false });
  try {
    const chunks: BenchMessage[][] = [];
    for (let i = 0; i < messages.length; i += 1000) chunks.push(messages.slice(i, i + 1000));
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < chunks.length) await producer.send({ messages: stamp(chunks[next++]!, sent) });
    };
    await Promise.all([lane(), lane(), lane(), lane()]);
  } finally {
    await producer.close();
  }
  return sent;
}

/**
 * Sends at a fixed rate (open loop, a chunk every 20 ms), so the latency
 * figures are those of a system keeping up rather than of a backlog.
 */
export async function producePaced(brokers: string, messages: readonly BenchMessage[], perSecond: number): Promise<SentTimes> {
  const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({ clientId: 'bench-paced-producer', bootstrapBrokers: [brokers], idempotent: false });
  const sent: SentTimes = new Map();
  const tickMs = 20;
  const perTick = Math.max(1, Math.round((perSecond * tickMs) / 1000));
  const start = performance.now();
  const pending: Promise<unknown>[] = [];
  try {
    for (let i = 0, tick = 0; i < messages.length; i += perTick, tick++) {
      const wait = start + tick * tickMs - performance.now();
      if (wait > 0) await sleep(wait);
      pending.push(producer.send({ messages: stamp(messages.slice(i, i + perTick), sent) }));
    }
    await Promise.all(pending);
  } finally {
    await producer.close();
  }
  return sent;
}

/** One result as first read: when it was read and the timestamp its producer gave it (both epoch ms). */
export interface ResultRecord {
  readonly readAtMs: number;
  readonly timestampMs: number;
  readonly value: string;
}

/**
 * Reads the output topic from the start and keeps the results whose key
 * starts with `prefix`: the first copy per key, every arrival time, and how
 * many copies came (a duplicate is a key read twice).
 */
export class ResultReader {
  readonly results = new Map<string, ResultRecord>();
  /** Epoch ms of every result read, duplicates included, in arrival order. */
  readonly arrivals: number[] = [];
  readonly #consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;
  readonly #prefix: string;
  #waiters: { count: number; resolve: () => void }[] = [];

  private constructor(consumer: Consumer<Buffer, Buffer, Buffer, Buffer>, prefix: string) {
    this.#consumer = consumer;
    this.#prefix = prefix;
  }

  static async open(brokers: string, topic: string, prefix: string, readCommitted: boolean): Promise<ResultReader> {
    const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
      clientId: 'bench-reader',
      groupId: `bench-reader-${randomUUID()}`,
      bootstrapBrokers: [brokers],
      autocommit: false,
      maxWaitTime: 50,
      isolationLevel: readCommitted ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED,
      autocreateTopics: true,
    });
    const reader = new ResultReader(consumer, prefix);
    const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST });
    stream.on('data', (message) => reader.#onRecord(message.key?.toString() ?? '', message.value?.toString() ?? '', Number(message.timestamp)));
    return reader;
  }

  #onRecord(key: string, value: string, timestampMs: number): void {
    if (!key.startsWith(this.#prefix)) return;
    const readAtMs = Date.now();
    this.arrivals.push(readAtMs);
    if (!this.results.has(key)) this.results.set(key, { readAtMs, timestampMs, value });
    this.#waiters = this.#waiters.filter((w) => (this.results.size >= w.count ? (w.resolve(), false) : true));
  }

  /** Results read, duplicates included. */
  get total(): number {
    return this.arrivals.length;
  }

  /** Resolves true once `count` distinct keys were read, false after `timeoutMs` without. */
  until(count: number, timeoutMs: number): Promise<boolean> {
    if (this.results.size >= count) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      const waiter = { count, resolve: () => (clearTimeout(timer), resolve(true)) };
      this.#waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    // The typings pick the callback overload for a literal boolean; called without one it returns a promise.
    await this.#consumer.close(true);
  }
}
