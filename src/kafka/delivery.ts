import type { Consumer, Message, Producer } from '@platformatic/kafka';
import type { OutputRecord } from './record-codec.js';

export type KafkaMessage = Message<Buffer, Buffer, Buffer, Buffer>;
export type KafkaConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>;
export type KafkaProducer = Producer<Buffer, Buffer, Buffer, Buffer>;

/** The last consumed message of one partition in a batch: its offset + 1 is committed. */
export interface ConsumedPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

/** What one delivery writes: answers in input order, and how far each partition got. */
export interface DeliveryBatch {
  readonly records: readonly OutputRecord[];
  readonly positions: readonly ConsumedPosition[];
}

/**
 * How answers reach Kafka and offsets get committed: at-least-once (produce,
 * then commit) or exactly-once (both in one transaction). Resolves once the
 * batch is durable; rejects if it is not (the caller retries).
 */
export interface Delivery {
  /** Once, before consumption starts. */
  start(): Promise<void>;
  deliver(batch: DeliveryBatch): Promise<void>;
  /** Closes its producer. */
  close(): Promise<void>;
}
