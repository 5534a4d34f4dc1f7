import { randomBytes } from 'node:crypto';
import { Admin, Producer } from '@platformatic/kafka';
import type { Logger } from 'pino';
import { KafkaError, NotReadyError, ShuttingDownError, type GatewayError } from '../errors.js';
import type { KafkaMessage, KafkaProducer } from '../kafka/delivery.js';
import type { FrontDoor, FrontDoorHealth } from '../lifecycle/front-door.js';
import type { Result, Row } from '../model/row-schema.js';
import { forwardRecord, readReply, type ForwardRequest } from './forward-codec.js';
import type { ForwardMetrics } from './forward-metrics.js';
import { LingerProducer } from './linger-producer.js';
import { PartitionPicker } from './partition-picker.js';
import { PendingReplies } from './pending-replies.js';
import { ReplyConsumer } from './reply-consumer.js';
import { deleteReplyTopic, ensureReplyTopic } from './reply-topic.js';

export interface KafkaForwarderOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Where the worker instances consume requests. */
  readonly inputTopic: string;
  /** The worker instances' consumer group: with no member, nobody would answer. */
  readonly groupId: string;
  /** This front end's own reply topic. */
  readonly replyTopic: string;
  /** Delete the reply topic on close (its name was generated for this process). */
  readonly deleteReplyTopic: boolean;
  readonly maxPending: number;
  readonly retryMs: number;
  readonly metrics?: ForwardMetrics;
  readonly logger: Logger;
}

/** One row on its way: what it was sent as, to which partition, since when. */
interface InFlight {
  readonly request: ForwardRequest;
  partition: number;
  readonly sentAt: number;
}

/**
 * How long a partition whose row needed a retry is avoided: about the
 * worker instances' session timeout, after which a dead owner's partitions
 * have moved to a live one.
 */
const AVOID_MS = 10_000;
/** How often the broker is asked whether it answers (and how many partitions the input topic has). */
const PROBE_INTERVAL_MS = 1000;
/** A probe not answered within this long counts as a failure. */
const PROBE_TIMEOUT_MS = 2000;

/**
 * The forwarding half of the Kafka scale-out: hands rows to the worker
 * instances' consumer group over the input topic and awaits each reply on
 * this front end's own reply topic, matched by correlation id. It is the
 * lifecycle's "kafka-forward" front door (started before HTTP, closed
 * after it), so `/health/ready` reports it: not ready while the broker does
 * not answer or the reply topic is not consumed, and requests are then
 * refused at once (503) instead of waiting for their deadline.
 */
export class KafkaForwarder implements FrontDoor {
  readonly name = 'kafka-forward';
  readonly #options: KafkaForwarderOptions;
  readonly #logger: Logger;
  readonly #producer: LingerProducer;
  readonly #rawProducer: KafkaProducer;
  readonly #admin: Admin;
  /** Members of the worker instances' group at the last probe (undefined: not known yet). */
  #workers: number | undefined;
  readonly #replies: ReplyConsumer;
  readonly #pending: PendingReplies;
  readonly #inFlight = new Map<string, InFlight>();
  /** Correlation ids: a per-process prefix and a counter (unique without a UUID per row). */
  readonly #idPrefix = randomBytes(6).toString('hex');
  #nextId = 0;
  readonly #partitions = new PartitionPicker({ avoidMs: AVOID_MS });
  #brokerAnswers = false;
  #brokerError: string | undefined;
  #probe: NodeJS.Timeout | undefined;
  #probing = false;
  #closing = false;

  constructor(options: KafkaForwarderOptions) {
    this.#options = options;
    this.#logger = options.logger;
    // A short retry budget: a broker that does not answer must turn into "not ready" quickly, not hold requests for 10 s.
    this.#rawProducer = new Producer({ clientId: options.clientId, bootstrapBrokers: [...options.brokers], idempotent: true, autocreateTopics: true, retries: 3, retryDelay: 100, timeout: 5000 });
    this.#producer = new LingerProducer(this.#rawProducer);
    this.#admin = new Admin({ clientId: options.clientId, bootstrapBrokers: [...options.brokers], retries: 1, timeout: PROBE_TIMEOUT_MS });
    this.#replies = new ReplyConsumer({ brokers: options.brokers, clientId: options.clientId, topic: options.replyTopic, onReply: (message) => this.#onReply(message), logger: options.logger });
    this.#pending = new PendingReplies({ maxPending: options.maxPending, retryMs: options.retryMs, onRetry: (id, attempt) => this.#retry(id, attempt) });
  }

  /** Rows awaiting their reply. */
  get pendingRows(): number {
    return this.#pending.size;
  }

  /** The broker answers, the reply topic is consumed, and some worker instance consumes the input topic. */
  get ready(): boolean {
    return !this.#closing && this.#brokerAnswers && this.#replies.healthy && this.#workers !== 0;
  }

  /** Creates the reply topic when missing, consumes it, and learns the input topic's partitions. */
  async start(): Promise<void> {
    const o = this.#options;
    try {
      await ensureReplyTopic(o.brokers, o.clientId, o.replyTopic);
      await this.#replies.start();
      await this.#probeBroker();
    } catch (error) {
      await this.#closeClients();
      throw new KafkaError(`cannot forward to ${o.inputTopic} on ${o.brokers.join(',')}: ${(error as Error).message}`, { cause: error });
    }
    this.#probe = setInterval(() => void this.#probeBroker().catch(() => undefined), PROBE_INTERVAL_MS);
    this.#probe.unref();
    o.metrics?.watch(this);
    this.#logger.info({ brokers: o.brokers, input: o.inputTopic, replyTopic: o.replyTopic, partitions: this.#partitions.count, retryMs: o.retryMs, maxPending: o.maxPending }, `forwarding requests to ${o.inputTopic}, replies on ${o.replyTopic}`);
  }

  health(): FrontDoorHealth {
    if (this.ready) return { ready: true };
    if (!this.#brokerAnswers) return { ready: false, reason: `the Kafka broker does not answer: ${this.#brokerError ?? 'not connected yet'}` };
    if (this.#workers === 0) return { ready: false, reason: `no worker instance consumes ${this.#options.inputTopic}: the consumer group ${this.#options.groupId} has no member` };
    return { ready: false, reason: `the reply topic ${this.#options.replyTopic} is not consumed: ${this.#replies.lastError?.message ?? 'not started'}` };
  }

  /** Throws `QueueFullError` unless `rows` more rows may await replies now. */
  admit(rows: number): void {
    if (this.#closing) throw new ShuttingDownError();
    if (!this.ready) throw new NotReadyError(this.health().reason ?? 'not connected to Kafka');
    this.#pending.admit(rows);
  }

  /**
   * Forwards one row to `model` on the worker instances and resolves with its
   * result, or with the error the far side (or the deadline) gave. Never
   * rejects. Call {@link admit} first for the whole request.
   */
  forward(row: Row, model: string, options: { readonly timeoutMs: number; readonly requestId?: string | undefined }): Promise<Result | GatewayError> {
    const correlationId = `${this.#idPrefix}-${(this.#nextId++).toString(36)}`;
    const request: ForwardRequest = { row, model, correlationId, replyTo: this.#options.replyTopic, deadline: Date.now() + options.timeoutMs, timeoutMs: options.timeoutMs, requestId: options.requestId };
    const flight: InFlight = { request, partition: this.#partitions.first(), sentAt: performance.now() };
    this.#inFlight.set(correlationId, flight);
    const reply = this.#pending.await(correlationId, options.timeoutMs).finally(() => this.#inFlight.delete(correlationId));
    this.#send(flight);
    return reply;
  }

  /** Takes no work of its own: the forwarded models drain what they sent. */
  async drain(): Promise<void> {}

  /** Settles what still awaits a reply (503), then closes the clients and deletes a generated reply topic. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    clearInterval(this.#probe);
    this.#pending.failAll(new ShuttingDownError('the front end is shutting down: the reply will not be read'));
    await this.#closeClients();
    if (this.#options.deleteReplyTopic) {
      await deleteReplyTopic(this.#options.brokers, this.#options.clientId, this.#options.replyTopic).catch((error: unknown) => this.#logger.warn({ err: error, replyTopic: this.#options.replyTopic }, 'could not delete the reply topic'));
    }
    this.#logger.info({ replyTopic: this.#options.replyTopic }, 'forwarding stopped');
  }

  #send(flight: InFlight): void {
    this.#producer.send(forwardRecord(this.#options.inputTopic, flight.partition, flight.request)).catch((error: KafkaError) => {
      // The broker did not take the row (after the client's short retries): answer 503 now rather than at the deadline, and turn not ready until the next probe succeeds.
      this.#logger.warn({ err: error, correlationId: flight.request.correlationId }, 'forwarding a row failed');
      this.#brokerAnswers = false;
      this.#brokerError = error.message;
      this.#pending.settle(flight.request.correlationId, error);
    });
  }

  /**
   * No reply yet: the partition's owner may have died (its partitions move
   * only when its session times out). Send the row again to another
   * partition; whichever reply comes first answers, the other is counted
   * as unmatched.
   */
  #retry(correlationId: string, attempt: number): void {
    const flight = this.#inFlight.get(correlationId);
    if (flight === undefined || this.#closing) return;
    flight.partition = this.#partitions.retry(flight.partition);
    this.#options.metrics?.retried();
    this.#logger.debug({ correlationId, attempt, partition: flight.partition, requestId: flight.request.requestId }, 'no reply yet: sending the row again');
    this.#send(flight);
  }

  #onReply(message: KafkaMessage): void {
    const { correlationId, outcome } = readReply(message);
    const flight = correlationId === undefined ? undefined : this.#inFlight.get(correlationId);
    const match = correlationId === undefined ? 'unmatched' : this.#pending.settle(correlationId, outcome);
    this.#options.metrics?.replied(match);
    // Replies only: a row that timed out has no round trip.
    if (match === 'matched' && flight !== undefined) {
      this.#options.metrics?.roundTrip(flight.request.model, (performance.now() - flight.sentAt) / 1000);
      this.#partitions.answered(flight.partition);
    }
  }

  async #probeBroker(): Promise<void> {
    if (this.#probing || this.#closing) return;
    this.#probing = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      const metadata = await Promise.race([
        this.#rawProducer.metadata({ topics: [this.#options.inputTopic], forceUpdate: true, autocreateTopics: true }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
        }),
      ]);
      this.#partitions.count = metadata.topics.get(this.#options.inputTopic)?.partitionsCount ?? 1;
      const groups = await this.#admin.describeGroups({ groups: [this.#options.groupId] });
      const workers = groups.get(this.#options.groupId)?.members.size ?? 0;
      if (workers !== this.#workers) this.#logger.info({ group: this.#options.groupId, workers }, workers === 0 ? `no worker instance in ${this.#options.groupId}: not ready` : `${workers} worker instance(s) in ${this.#options.groupId}`);
      this.#workers = workers;
      if (!this.#brokerAnswers && this.#brokerError !== undefined) this.#logger.info('the Kafka broker answers again: ready');
      this.#brokerAnswers = true;
      this.#brokerError = undefined;
    } catch (error) {
      if (this.#brokerAnswers) this.#logger.warn({ err: error }, 'the Kafka broker does not answer: not ready');
      this.#brokerAnswers = false;
      this.#brokerError = (error as Error).message;
      throw error;
    } finally {
      clearTimeout(timer);
      this.#probing = false;
    }
  }

  async #closeClients(): Promise<void> {
    const results = await Promise.allSettled([this.#replies.close(), this.#producer.close(), this.#admin.close()]);
    for (const result of results) if (result.status === 'rejected') this.#logger.warn({ err: result.reason }, 'error while closing a Kafka client');
  }
}
