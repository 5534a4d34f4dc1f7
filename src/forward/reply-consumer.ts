import { randomUUID } from 'node:crypto';
import { Consumer, MessagesStreamModes, type MessagesStream } from '@platformatic/kafka';
import type { Logger } from 'pino';
import type { KafkaConsumer, KafkaMessage } from '../kafka/delivery.js';

export interface ReplyConsumerOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly topic: string;
  readonly onReply: (message: KafkaMessage) => void;
  readonly logger: Logger;
}

const RESTART_DELAY_MS = { first: 200, max: 5000 };

/**
 * Reads this front end's own reply topic, from its end: only replies to
 * requests sent from now on matter (a row whose reply is lost while the
 * stream restarts is sent again by its retry). A stream that fails (the
 * broker restarted) is replaced by a new consumer, with backoff, until
 * `close()`: `healthy` is false meanwhile.
 */
export class ReplyConsumer {
  readonly #options: ReplyConsumerOptions;
  #consumer: KafkaConsumer | undefined;
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  #healthy = false;
  #closed = false;
  #restarting: Promise<void> | undefined;
  #lastError: Error | undefined;

  constructor(options: ReplyConsumerOptions) {
    this.#options = options;
  }

  /** True while a stream is consuming the reply topic. */
  get healthy(): boolean {
    return this.#healthy;
  }

  get lastError(): Error | undefined {
    return this.#lastError;
  }

  /** Resolves once the reply topic is being consumed; rejects when it cannot be at first. */
  async start(): Promise<void> {
    await this.#open();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#healthy = false;
    await this.#restarting;
    await this.#closeClient();
  }

  async #open(): Promise<void> {
    const o = this.#options;
    // A group of one, whose name nobody else uses: it owns the topic's partitions, and commits nothing.
    const consumer: KafkaConsumer = new Consumer({
      clientId: o.clientId,
      bootstrapBrokers: [...o.brokers],
      groupId: `${o.topic}.${randomUUID().slice(0, 8)}`,
      autocommit: false,
      maxWaitTime: 500,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      autocreateTopics: true,
    });
    this.#consumer = consumer;
    try {
      const stream = await consumer.consume({ topics: [o.topic], mode: MessagesStreamModes.LATEST, sessionTimeout: 10_000, heartbeatInterval: 1000 });
      this.#stream = stream;
      stream.on('data', (message: KafkaMessage) => o.onReply(message));
      stream.on('error', (error: Error) => this.#onError(error));
      this.#healthy = true;
    } catch (error) {
      await this.#closeClient();
      throw error;
    }
  }

  #onError(error: Error): void {
    if (this.#closed || this.#restarting) return;
    this.#healthy = false;
    this.#lastError = error;
    this.#options.logger.warn({ err: error }, 'the reply consumer failed; reconnecting');
    this.#restarting = this.#restart().finally(() => {
      this.#restarting = undefined;
    });
  }

  async #restart(): Promise<void> {
    await this.#closeClient();
    for (let delayMs = RESTART_DELAY_MS.first; !this.#closed; delayMs = Math.min(delayMs * 2, RESTART_DELAY_MS.max)) {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (this.#closed) return;
      try {
        await this.#open();
        this.#options.logger.info({ topic: this.#options.topic }, 'the reply consumer is consuming again');
        return;
      } catch (error) {
        this.#lastError = error as Error;
        this.#options.logger.debug({ err: error, retryInMs: delayMs }, 'the reply consumer cannot reconnect yet');
      }
    }
  }

  async #closeClient(): Promise<void> {
    const stream = this.#stream;
    const consumer = this.#consumer;
    this.#stream = undefined;
    this.#consumer = undefined;
    await Promise.allSettled([stream?.close(), consumer?.close(true)]);
  }
}
