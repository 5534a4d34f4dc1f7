import { KafkaError } from '../errors.js';
import type { KafkaProducer } from '../kafka/delivery.js';
import type { ForwardRecord } from './forward-codec.js';

/** Records in one produce request at most (rows are small: well under the broker's 1 MB batch limit). */
const MAX_BATCH_RECORDS = 4000;

interface Queued {
  readonly record: ForwardRecord;
  readonly done: (error: KafkaError | undefined) => void;
}

/**
 * Batches produce calls without a fixed linger: a record sent while no
 * produce request is in flight goes out in the next macrotask (with whatever
 * else arrived in the same tick), and records sent while one is in flight
 * wait for it and go together in the next. At low load that adds no wait;
 * under load the batches grow with the round trip, as the worker side's
 * deliveries do.
 */
export class LingerProducer {
  readonly #producer: KafkaProducer;
  #queue: Queued[] = [];
  #flushing = false;

  constructor(producer: KafkaProducer) {
    this.#producer = producer;
  }

  /** Records waiting for the next produce request. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Resolves once the record is written (acks=all); rejects with {@link KafkaError}. */
  send(record: ForwardRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ record, done: (error) => (error === undefined ? resolve() : reject(error)) });
      if (!this.#flushing) {
        this.#flushing = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_BATCH_RECORDS);
      let failure: KafkaError | undefined;
      try {
        await this.#producer.send({ messages: batch.map((q) => q.record) });
      } catch (error) {
        failure = new KafkaError(`producing to Kafka failed: ${(error as Error).message}`, { cause: error });
      }
      for (const queued of batch) queued.done(failure);
    }
    this.#flushing = false;
  }

  close(): Promise<void> {
    return this.#producer.close();
  }
}
