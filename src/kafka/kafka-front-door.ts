import { Consumer, FetchIsolationLevels, MessagesStreamFallbackModes, MessagesStreamModes, Producer, type MessagesStream } from '@platformatic/kafka';
import type { Logger } from 'pino';
import { DeadlineExceededError, GatewayError, KafkaError } from '../errors.js';
import type { FrontDoor, FrontDoorHealth } from '../lifecycle/front-door.js';
import type { Result } from '../model/row-schema.js';
import { AtLeastOnceDelivery } from './at-least-once-delivery.js';
import type { ConsumedPosition, Delivery, KafkaConsumer, KafkaMessage, KafkaProducer } from './delivery.js';
import { EngineSubmitter, type KafkaModel, type KafkaModels } from './engine-submitter.js';
import type { KafkaMetrics } from './kafka-metrics.js';
import { PartitionLane, type LaneEntry } from './partition-lane.js';
import { deadlineOf, deadLetterRecord, decodeRow, HEADER, modelOf, requestIdOf, resultRecord, type OutputRecord } from './record-codec.js';
import { TransactionalDelivery } from './transactional-delivery.js';

export type { KafkaModel, KafkaModels };

export interface KafkaFrontDoorOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly groupId: string;
  readonly inputTopic: string;
  readonly outputTopic: string;
  readonly dlqTopic: string;
  readonly exactlyOnce: boolean;
  readonly transactionalId: string;
  /** Records taken from Kafka and not yet delivered before consumption pauses. */
  readonly maxInFlight: number;
  readonly timeoutMs: number;
  /** The served models: each record goes to the one its `model` header names, else to the default one. */
  readonly models: KafkaModels;
  readonly metrics?: KafkaMetrics;
  readonly logger: Logger;
}

type Entry = LaneEntry<KafkaMessage, OutputRecord>;

/** Records per delivery (one transaction with --exactly-once): small answers, so each partition's share stays well under the broker's 1 MB batch limit. */
const MAX_DELIVERY_RECORDS = 8000;
const RETRY_DELAY_MS = { first: 100, max: 5000 };
const START_RETRY_MS = 60_000;
// A SIGKILLed member holds its partitions until its session times out: keep that short.
const SESSION_TIMEOUT_MS = 10_000;
const HEARTBEAT_INTERVAL_MS = 1000;

/**
 * The Kafka front door: consumes rows from the input topic, submits each as
 * a one-row request to the engine (whose batcher coalesces them with HTTP
 * rows), and produces one answer per record, in input order per partition:
 * the result, or a dead letter saying why. Offsets are committed only for
 * records whose answers are durable.
 */
export class KafkaFrontDoor implements FrontDoor {
  readonly name = 'kafka';
  readonly #options: KafkaFrontDoorOptions;
  readonly #logger: Logger;
  readonly #consumer: KafkaConsumer;
  readonly #delivery: Delivery;
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  readonly #lanes = new Map<number, PartitionLane<KafkaMessage, OutputRecord>>();
  #assigned = new Set<number>();
  #inFlight = 0;
  #pausedForInFlight = false;
  readonly #submitter: EngineSubmitter;
  #flushing: Promise<void> | undefined;
  #flushAgain = false;
  #idleWaiters: (() => void)[] = [];
  #closing = false;
  readonly #answered = { results: 0, deadLetters: 0 };
  #failure: Error | undefined;
  /**
   * Why the broker does not take this consumer as a live group member now
   * (its last heartbeat failed, or a rejoin the client started failed);
   * `undefined` once a heartbeat or a join is answered.
   */
  #unanswered: string | undefined;
  /** Group joins the broker has answered, counted to tell whether consuming again joined the group. */
  #joins = 0;

  constructor(options: KafkaFrontDoorOptions) {
    this.#options = options;
    this.#logger = options.logger;
    const base = { clientId: options.clientId, bootstrapBrokers: [...options.brokers] };
    this.#consumer = new Consumer({
      ...base,
      groupId: options.groupId,
      autocommit: false,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      maxWaitTime: 100,
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
      autocreateTopics: true,
    });
    // With a transactional id, InitProducerId must say "no producer yet"
    // (-1/-1): the client's default (0/0) is taken by the broker for a stale
    // epoch once a predecessor with this id has run, and refused as fenced.
    const transactional = options.exactlyOnce ? { transactionalId: options.transactionalId, producerId: -1n, producerEpoch: -1 } : {};
    const createProducer = (): KafkaProducer => new Producer({ ...base, idempotent: true, autocreateTopics: true, retries: 10, retryDelay: retryDelay, ...transactional });
    this.#submitter = new EngineSubmitter(options.models, { timeoutMs: options.timeoutMs, onBlocked: () => this.#updateFlow() });
    this.#delivery = options.exactlyOnce
      ? new TransactionalDelivery(createProducer, this.#consumer)
      : new AtLeastOnceDelivery(createProducer(), this.#consumer, this.#logger);
  }

  /** Partitions of the input topic this instance owns now. */
  get assignedPartitions(): readonly number[] {
    return [...this.#assigned].sort((a, b) => a - b);
  }

  /** Records taken from Kafka and not yet answered and committed. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Joins the group and starts consuming; resolves once partitions are assigned (or the group is joined without any). */
  async start(): Promise<void> {
    try {
      await this.#startDelivery();
      this.#stream = await this.#consume();
    } catch (error) {
      await this.#closeClients();
      throw new KafkaError(`cannot consume ${this.#options.inputTopic} from ${this.#options.brokers.join(',')}: ${(error as Error).message}`, { cause: error });
    }
    this.#onAssignment();
    this.#consumer.on('consumer:group:join', () => {
      this.#joins += 1;
      this.#unanswered = undefined;
      this.#onAssignment();
    });
    // The client emits 'error' when a rejoin it starts on its own (after a
    // heartbeat the broker refused) fails, as it does while the broker is
    // away: without a listener that would end the process. The stream's own
    // failure (see #attach) is what consumes again.
    this.#consumer.on('error', (error: Error) => {
      if (this.#closing) return;
      this.#unanswered = `the consumer could not rejoin its group: ${error.message}`;
      this.#logger.warn({ err: error }, 'the Kafka consumer could not rejoin its group: not ready until the broker answers');
    });
    // Between stream failures, an answered heartbeat is what says the group still counts this consumer in.
    this.#consumer.on('consumer:heartbeat:end', () => {
      if (this.#unanswered !== undefined) this.#logger.info('the broker answers the Kafka consumer\'s heartbeats again: ready');
      this.#unanswered = undefined;
    });
    this.#consumer.on('consumer:heartbeat:error', (payload: { error?: Error } | undefined) => {
      if (this.#unanswered === undefined) this.#logger.warn({ err: payload?.error }, 'a Kafka consumer heartbeat failed: not ready until one is answered');
      this.#unanswered = `the broker does not answer the consumer's heartbeats: ${payload?.error?.message ?? 'no answer'}`;
    });
    this.#attach(this.#stream);
    this.#options.metrics?.watch(this);
    this.#logger.info(
      { brokers: this.#options.brokers, input: this.#options.inputTopic, output: this.#options.outputTopic, dlq: this.#options.dlqTopic, group: this.#options.groupId, exactlyOnce: this.#options.exactlyOnce, partitions: this.assignedPartitions },
      `consuming ${this.#options.inputTopic} (${this.#options.exactlyOnce ? 'exactly-once' : 'at-least-once'})`,
    );
  }

  /**
   * With transactions, the broker answers CONCURRENT_TRANSACTIONS while it
   * aborts the transaction a killed predecessor left open: that resolves by
   * itself within the transaction timeout, so keep asking until then.
   */
  async #startDelivery(): Promise<void> {
    const deadline = Date.now() + START_RETRY_MS;
    for (let delayMs = RETRY_DELAY_MS.first; ; delayMs = Math.min(delayMs * 2, RETRY_DELAY_MS.max)) {
      try {
        await this.#delivery.start();
        return;
      } catch (error) {
        if (Date.now() + delayMs > deadline) throw error;
        this.#logger.warn({ err: error, retryInMs: delayMs }, 'the producer could not register with the broker yet; retrying');
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  #consume(): Promise<MessagesStream<Buffer, Buffer, Buffer, Buffer>> {
    return this.#consumer.consume({
      topics: [this.#options.inputTopic],
      mode: MessagesStreamModes.COMMITTED,
      // A new group answers what is already waiting: requests sent before the first gateway started count.
      fallbackMode: MessagesStreamFallbackModes.EARLIEST,
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
    });
  }

  #attach(stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>): void {
    stream.on('data', (message: KafkaMessage) => this.#onMessage(message));
    stream.on('error', (error: Error) => {
      if (this.#closing || this.#failure !== undefined) return;
      this.#failure = error;
      this.#logger.error({ err: error }, 'the Kafka consumer stream failed; consuming again once the broker answers');
      void this.#resume(stream);
    });
  }

  /**
   * A stream dies when the broker does not answer for a while (a restart):
   * consume again, with backoff, until it does. Records taken and not yet
   * answered are dropped with their partitions' lanes: the group hands the
   * partitions out again from the committed offsets, so they are answered
   * (at least once) after all.
   */
  async #resume(dead: MessagesStream<Buffer, Buffer, Buffer, Buffer>): Promise<void> {
    await Promise.resolve(dead.close()).catch(() => undefined);
    for (let delayMs = RETRY_DELAY_MS.first; !this.#closing; delayMs = Math.min(delayMs * 2, RETRY_DELAY_MS.max)) {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (this.#closing) return;
      try {
        const joins = this.#joins;
        const stream = await this.#consume();
        if (this.#closing) {
          await stream.close().catch(() => undefined);
          return;
        }
        // The client opens a stream without asking the broker when it still
        // counts itself a member, even while the broker is away, and its
        // heartbeats may have stopped at the failure: join the group here, so
        // that the stream counts only once the broker has taken this consumer
        // in again (and heartbeats run again).
        if (this.#joins === joins) {
          // Until it is kept, the new stream's failures belong to this attempt (and
          // a stream given up stays listened to: an 'error' without a listener ends the process).
          const early = (): void => {};
          stream.on('error', early);
          try {
            await this.#consumer.joinGroup({ sessionTimeout: SESSION_TIMEOUT_MS, heartbeatInterval: HEARTBEAT_INTERVAL_MS });
          } catch (error) {
            await Promise.resolve(stream.close()).catch(() => undefined);
            throw error;
          }
          stream.off('error', early);
        }
        for (const partition of [...this.#lanes.keys()]) {
          this.#inFlight -= this.#lanes.get(partition)!.size;
          this.#lanes.delete(partition);
        }
        this.#stream = stream;
        this.#failure = undefined;
        this.#attach(stream);
        this.#onAssignment();
        this.#logger.info({ partitions: this.assignedPartitions }, 'the Kafka consumer stream is consuming again');
        return;
      } catch (error) {
        this.#logger.debug({ err: error, retryInMs: delayMs }, 'the Kafka consumer cannot consume again yet');
      }
    }
  }

  /**
   * Not ready while the consumer stream is down, nor while the broker does
   * not answer its heartbeats (a new stream after a failure counts only once
   * one is answered): nothing is consumed meanwhile.
   */
  health(): FrontDoorHealth {
    if (this.#failure !== undefined) return { ready: false, reason: `the consumer stream failed: ${this.#failure.message}` };
    return this.#unanswered === undefined ? { ready: true } : { ready: false, reason: this.#unanswered };
  }

  /** Stops consuming and answers every record already taken (the models still serve meanwhile). */
  drain(): Promise<void> {
    return this.close();
  }

  /**
   * Stops consuming, answers and commits every record already taken, then
   * leaves the group (its partitions move to the other instances at once).
   */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#stream?.pause();
    if (this.#inFlight > 0) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    await this.#closeClients();
    this.#logger.info({ answered: this.#answered.results, deadLettered: this.#answered.deadLetters }, 'Kafka consumer closed');
  }

  async #closeClients(): Promise<void> {
    const results = await Promise.allSettled([this.#stream?.close(), this.#consumer.close(true), this.#delivery.close()]);
    for (const result of results) if (result.status === 'rejected') this.#logger.warn({ err: result.reason }, 'error while closing a Kafka client');
  }

  #onAssignment(): void {
    const topic = this.#options.inputTopic;
    const assigned = new Set(this.#consumer.assignments?.find((a) => a.topic === topic)?.partitions ?? []);
    // Records of partitions that moved away are dropped unanswered: their new
    // owner starts from the last committed offset and answers them.
    for (const partition of this.#lanes.keys()) {
      if (assigned.has(partition)) continue;
      this.#inFlight -= this.#lanes.get(partition)!.size;
      this.#lanes.delete(partition);
    }
    for (const partition of assigned) {
      // A partition (re)gained now must not admit records fetched during an earlier ownership.
      if (!this.#lanes.has(partition)) this.#lanes.set(partition, new PartitionLane(this.#consumer.generationId));
    }
    this.#assigned = assigned;
    this.#logger.info({ generation: this.#consumer.generationId, partitions: this.assignedPartitions }, 'partitions assigned');
    this.#updateFlow();
    this.#resolveIdle();
  }

  #onMessage(message: KafkaMessage): void {
    if (this.#closing) return;
    const lane = this.#lanes.get(message.partition);
    if (lane === undefined) return;
    const generation = (message.metadata.consumer as { generationId?: number } | undefined)?.generationId ?? -1;
    const entry = lane.admit(message, message.offset, generation);
    if (entry === undefined) return;
    this.#inFlight++;
    this.#updateFlow();
    const name = modelOf(message);
    let model: KafkaModel;
    try {
      model = this.#options.models.resolve(name);
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      // Not the header's value: a label per unknown name would let records grow the series without bound.
      this.#answer(entry, error, 'unknown');
      return;
    }
    const decoded = decodeRow(message.value, model.schemas.row);
    if ('error' in decoded) {
      this.#answer(entry, decoded.error, model.name);
      return;
    }
    const deadline = deadlineOf(message);
    if (deadline === undefined) {
      void this.#submitter.predict(decoded.row, model.name).then((outcome) => this.#answer(entry, outcome, model.name));
      return;
    }
    // A forwarded request: its caller stops waiting at the deadline, so a record consumed after it is answered, not predicted.
    const timeoutMs = Number(headerText(message, HEADER.requestTimeout) ?? 0);
    if (Date.now() >= deadline) {
      this.#answer(entry, new DeadlineExceededError(timeoutMs), model.name);
      return;
    }
    void this.#submitter.predict(decoded.row, model.name, { at: deadline, timeoutMs }).then((outcome) => this.#answer(entry, outcome, model.name));
  }

  /** `model`: the model that answered, for the metrics. */
  #answer(entry: Entry, outcome: Result | GatewayError, model: string): void {
    const { message } = entry;
    const o = this.#options;
    if (outcome instanceof GatewayError) {
      entry.output = deadLetterRecord(message, outcome, o.dlqTopic);
      // A record whose deadline passed was not predicted: `expired`, apart from the records that failed.
      o.metrics?.answered(outcome instanceof DeadlineExceededError ? 'expired' : 'dead_letter', model);
      this.#answered.deadLetters++;
      this.#logger.debug({ partition: message.partition, offset: message.offset.toString(), code: outcome.code, requestId: requestIdOf(message) }, outcome instanceof DeadlineExceededError ? 'record expired: not predicted' : 'record dead-lettered');
    } else {
      entry.output = resultRecord(message, outcome, o.outputTopic);
      o.metrics?.answered('ok', model);
      this.#answered.results++;
      if (this.#logger.isLevelEnabled('debug')) this.#logger.debug({ partition: message.partition, offset: message.offset.toString(), model, requestId: requestIdOf(message) }, 'record answered');
    }
    this.#scheduleFlush();
  }

  #updateFlow(): void {
    const stream = this.#stream;
    if (!stream || this.#closing) return;
    if (this.#inFlight >= this.#options.maxInFlight) this.#pausedForInFlight = true;
    else if (this.#inFlight <= this.#options.maxInFlight / 2) this.#pausedForInFlight = false;
    const pause = this.#pausedForInFlight || this.#submitter.blocked;
    if (pause && !stream.isPaused()) stream.pause();
    else if (!pause && stream.isPaused()) stream.resume();
    this.#options.metrics?.paused(pause);
  }

  #scheduleFlush(): void {
    if (this.#flushing) {
      this.#flushAgain = true;
      return;
    }
    this.#flushing = this.#flushLoop().finally(() => {
      this.#flushing = undefined;
      this.#resolveIdle();
    });
  }

  /** One delivery at a time, each carrying everything answered meanwhile: batches grow with load. */
  async #flushLoop(): Promise<void> {
    // Let the answers completed in this tick join the first delivery.
    await new Promise((resolve) => setImmediate(resolve));
    for (;;) {
      this.#flushAgain = false;
      const taken = this.#takeReady();
      if (taken.length === 0) {
        if (!this.#flushAgain) return;
        continue;
      }
      await this.#deliverWithRetry(taken);
      this.#inFlight -= taken.length;
      this.#updateFlow();
    }
  }

  #takeReady(): Entry[] {
    const taken: Entry[] = [];
    for (const lane of this.#lanes.values()) {
      if (taken.length >= MAX_DELIVERY_RECORDS) break;
      taken.push(...lane.takeReady(MAX_DELIVERY_RECORDS - taken.length));
    }
    return taken;
  }

  async #deliverWithRetry(entries: Entry[]): Promise<void> {
    for (let delayMs = RETRY_DELAY_MS.first; ; delayMs = Math.min(delayMs * 2, RETRY_DELAY_MS.max)) {
      // Partitions lost in a rebalance meanwhile belong to another instance now.
      const owned = entries.filter((e) => this.#assigned.has(e.message.partition));
      try {
        await this.#delivery.deliver({ records: owned.map((e) => e.output!), positions: lastPositions(owned) });
        this.#options.metrics?.delivered('ok');
        return;
      } catch (error) {
        this.#options.metrics?.delivered('failed');
        this.#logger.warn({ err: error, records: owned.length, retryInMs: delayMs }, 'delivering results to Kafka failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  #resolveIdle(): void {
    if (this.#inFlight > 0 || this.#flushing) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/**
 * Right after a transaction commits, the broker answers the next one's first
 * request with CONCURRENT_TRANSACTIONS until it has written the commit
 * markers (milliseconds): retry soon and back off, rather than the client's
 * flat one second, which would stall every other transaction.
 */
function retryDelay(_client: unknown, _operation: string, attempt: number): number {
  return Math.min(20 * 2 ** attempt, 1000);
}

function headerText(message: KafkaMessage, name: string): string | undefined {
  for (const [key, value] of message.headers) if (key.toString('latin1') === name) return value.toString('latin1');
  return undefined;
}

function lastPositions(entries: readonly Entry[]): ConsumedPosition[] {
  const last = new Map<number, ConsumedPosition>();
  for (const { message } of entries) last.set(message.partition, { topic: message.topic, partition: message.partition, offset: message.offset });
  return [...last.values()];
}
