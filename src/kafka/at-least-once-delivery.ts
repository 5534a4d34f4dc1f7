import type { Logger } from 'pino';
import type { Delivery, DeliveryBatch, KafkaConsumer, KafkaProducer } from './delivery.js';

/**
 * Produce (acks=all, idempotent), then commit the offsets: a crash between
 * the two re-delivers the batch, never loses it.
 */
export class AtLeastOnceDelivery implements Delivery {
  readonly #producer: KafkaProducer;
  readonly #consumer: KafkaConsumer;
  readonly #logger: Logger;

  constructor(producer: KafkaProducer, consumer: KafkaConsumer, logger: Logger) {
    this.#producer = producer;
    this.#consumer = consumer;
    this.#logger = logger;
  }

  async start(): Promise<void> {}

  close(): Promise<void> {
    return this.#producer.close();
  }

  async deliver(batch: DeliveryBatch): Promise<void> {
    if (batch.records.length > 0) await this.#producer.send({ messages: [...batch.records] });
    if (batch.positions.length === 0) return;
    try {
      await this.#consumer.commit({
        offsets: batch.positions.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset + 1n, leaderEpoch: -1 })),
      });
    } catch (error) {
      // The answers are out; a lost commit only means the group's next owner
      // of these partitions answers them again, which at-least-once allows.
      this.#logger.warn({ err: error, positions: batch.positions.map((p) => `${p.partition}@${p.offset}`) }, 'offset commit failed after the results were produced; they may be produced again');
    }
  }
}
