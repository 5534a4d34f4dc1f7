import type { Delivery, DeliveryBatch, KafkaConsumer, KafkaMessage, KafkaProducer } from './delivery.js';

/**
 * Consume-transform-produce in one Kafka transaction: the answers and the
 * consumer offsets commit together or not at all, so a `read_committed`
 * reader of the output sees each input answered exactly once.
 */
export class TransactionalDelivery implements Delivery {
  readonly #createProducer: () => KafkaProducer;
  #producer: KafkaProducer;
  readonly #consumer: KafkaConsumer;

  /** `createProducer` makes a transactional producer; a new one replaces it if registering fails. */
  constructor(createProducer: () => KafkaProducer, consumer: KafkaConsumer) {
    this.#createProducer = createProducer;
    this.#producer = createProducer();
    this.#consumer = consumer;
  }

  /**
   * Registers the transactional id before anything is consumed: the broker
   * then aborts whatever transaction a crashed predecessor with the same id
   * left open, so its offsets are settled before ours are read.
   */
  async start(): Promise<void> {
    try {
      const transaction = await this.#producer.beginTransaction();
      await transaction.cancel();
    } catch (error) {
      // The client keeps the half-begun transaction; only a new producer forgets it.
      await this.#producer.close().catch(() => {});
      this.#producer = this.#createProducer();
      throw error;
    }
  }

  close(): Promise<void> {
    return this.#producer.close();
  }

  async deliver(batch: DeliveryBatch): Promise<void> {
    const transaction = await this.#producer.beginTransaction();
    try {
      if (batch.records.length > 0) await transaction.send({ messages: [...batch.records] });
      await transaction.addConsumer(this.#consumer);
      // Sequential: the client deduplicates concurrent offset commits of one transaction.
      for (const position of batch.positions) await transaction.addOffset(this.#offsetMessage(position));
      await transaction.commit();
    } catch (error) {
      if (!transaction.completed) await transaction.abort().catch(() => transaction.cancel());
      throw error;
    }
  }

  /**
   * The offset commit names the group generation; the current one, not the
   * one the record was fetched in, so records fetched before a rebalance that
   * left this partition with us still commit (KIP-447 fencing still applies:
   * a member that missed the rebalance is refused).
   */
  #offsetMessage(position: { topic: string; partition: number; offset: bigint }): KafkaMessage {
    const consumer = this.#consumer;
    return {
      topic: position.topic,
      partition: position.partition,
      offset: position.offset,
      metadata: { consumer: { groupId: consumer.groupId, generationId: consumer.generationId, memberId: consumer.memberId, coordinatorId: consumer.coordinatorId } },
    } as unknown as KafkaMessage;
  }
}
