import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { z } from 'zod';

/**
 * The Kafka front door's options: their flags and variables (merged into the
 * gateway's OPTIONS table), their zod fields (merged into its one schema),
 * and the cross-field rules and derived defaults.
 */
export const KAFKA_OPTIONS = {
  kafkaBrokers: { flag: 'kafka-brokers', env: 'KAFKA_BROKERS', help: 'bootstrap brokers, host:port[,host:port...]: adds the Kafka front door' },
  http: { flag: 'http', env: 'GATEWAY_HTTP', help: 'serve HTTP (--no-http: Kafka only, needs --kafka-brokers)' },
  kafkaInputTopic: { flag: 'kafka-input-topic', env: 'KAFKA_INPUT_TOPIC', help: 'topic of rows to predict (one JSON row per record)' },
  kafkaOutputTopic: { flag: 'kafka-output-topic', env: 'KAFKA_OUTPUT_TOPIC', help: 'topic of results (a record\'s reply-to header overrides it)' },
  kafkaDlqTopic: { flag: 'kafka-dlq-topic', env: 'KAFKA_DLQ_TOPIC', help: 'dead-letter topic for records that cannot be predicted (default: <input topic>.dlq)' },
  kafkaGroupId: { flag: 'kafka-group-id', env: 'KAFKA_GROUP_ID', help: 'consumer group: every instance in one group shares the partitions' },
  kafkaClientId: { flag: 'kafka-client-id', env: 'KAFKA_CLIENT_ID', help: 'client id shown in broker logs and quotas' },
  exactlyOnce: { flag: 'exactly-once', env: 'KAFKA_EXACTLY_ONCE', help: 'Kafka transactions: results and consumer offsets commit together' },
  kafkaTransactionalId: { flag: 'kafka-transactional-id', env: 'KAFKA_TRANSACTIONAL_ID', help: 'with --exactly-once: stable id unique to this instance (default: <group id>-<hostname>)' },
  kafkaMaxInFlight: { flag: 'kafka-max-in-flight', env: 'KAFKA_MAX_IN_FLIGHT', help: 'records taken from Kafka and not yet answered before consumption pauses' },
  forwardToKafka: { flag: 'forward-to-kafka', env: 'KAFKA_FORWARD', help: 'HTTP front end with no workers: forward each request to the input topic and answer with the reply (needs --kafka-brokers)' },
  kafkaReplyTopic: { flag: 'kafka-reply-topic', env: 'KAFKA_REPLY_TOPIC', help: 'with --forward-to-kafka: this instance\'s own reply topic (default: <input topic>.replies.<hostname>.<random>, deleted on exit)' },
  forwardMaxPending: { flag: 'forward-max-pending', env: 'KAFKA_FORWARD_MAX_PENDING', help: 'with --forward-to-kafka: rows awaiting their reply before new requests are refused (503)' },
  forwardRetryMs: { flag: 'forward-retry-ms', env: 'KAFKA_FORWARD_RETRY_MS', help: 'with --forward-to-kafka: send a row again (to another partition) when its reply has not come within this long' },
} as const;

/** Kafka flags that take no value (and have a --no- form). */
export const KAFKA_BOOLEAN_FLAGS = ['http', 'exactly-once', 'forward-to-kafka'] as const;

const boolFromString = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');

const BROKER = /^[A-Za-z0-9.[\]:_-]+:\d{1,5}$/;
// Kafka's own rule for topic names.
const topic = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be 1-249 characters of A-Z a-z 0-9 . _ -');

export const kafkaConfigShape = {
  kafkaBrokers: z
    .string()
    .transform((s) => s.split(',').map((b) => b.trim()).filter((b) => b !== ''))
    .pipe(z.array(z.string().regex(BROKER, 'each broker must be host:port')).min(1, 'must name at least one host:port'))
    .optional(),
  http: boolFromString.default(true),
  kafkaInputTopic: topic.default('predict-requests'),
  kafkaOutputTopic: topic.default('predict-results'),
  kafkaDlqTopic: topic.optional(),
  kafkaGroupId: z.string().min(1).default('inference-gateway'),
  kafkaClientId: z.string().min(1).default('inference-gateway'),
  exactlyOnce: boolFromString.default(false),
  kafkaTransactionalId: z.string().min(1).optional(),
  kafkaMaxInFlight: z.coerce.number().int().min(1).max(1_000_000).default(8192),
  forwardToKafka: boolFromString.default(false),
  kafkaReplyTopic: topic.optional(),
  forwardMaxPending: z.coerce.number().int().min(1).max(10_000_000).default(16_384),
  forwardRetryMs: z.coerce.number().int().min(100).max(3_600_000).default(2000),
};

type KafkaShape = z.output<z.ZodObject<typeof kafkaConfigShape>>;

/** Cross-field rules, called from the gateway schema's superRefine. */
export function refineKafkaConfig(c: KafkaShape, ctx: z.RefinementCtx): void {
  if (!c.http && c.kafkaBrokers === undefined) {
    ctx.addIssue({ code: 'custom', path: ['http'], message: '--no-http needs --kafka-brokers, or the gateway would serve nothing' });
  }
  if (c.exactlyOnce && c.kafkaBrokers === undefined) {
    ctx.addIssue({ code: 'custom', path: ['exactlyOnce'], message: 'needs --kafka-brokers' });
  }
  if (c.forwardToKafka && c.kafkaBrokers === undefined) {
    ctx.addIssue({ code: 'custom', path: ['forwardToKafka'], message: 'needs --kafka-brokers: the requests go to the workers over Kafka' });
  }
  if (c.forwardToKafka && !c.http) {
    ctx.addIssue({ code: 'custom', path: ['forwardToKafka'], message: 'is an HTTP front end: it cannot run with --no-http' });
  }
  if (c.forwardToKafka && c.exactlyOnce) {
    ctx.addIssue({ code: 'custom', path: ['exactlyOnce'], message: 'belongs to the worker instances that consume the input topic, not to a --forward-to-kafka front end' });
  }
  if (c.kafkaReplyTopic !== undefined && [c.kafkaInputTopic, c.kafkaOutputTopic].includes(c.kafkaReplyTopic)) {
    ctx.addIssue({ code: 'custom', path: ['kafkaReplyTopic'], message: 'must differ from the input and output topics: it carries this front end\'s replies only' });
  }
  const dlq = c.kafkaDlqTopic ?? `${c.kafkaInputTopic}.dlq`;
  if (c.kafkaOutputTopic === c.kafkaInputTopic) {
    ctx.addIssue({ code: 'custom', path: ['kafkaOutputTopic'], message: 'must differ from the input topic, or results would be read back as requests' });
  }
  if (dlq === c.kafkaInputTopic || dlq === c.kafkaOutputTopic) {
    ctx.addIssue({ code: 'custom', path: ['kafkaDlqTopic'], message: 'must differ from the input and output topics' });
  }
}

/** Options whose default depends on others: filled after validation. */
export type KafkaDerivedField = 'kafkaDlqTopic' | 'kafkaTransactionalId' | 'kafkaReplyTopic';

export interface KafkaDerivedConfig {
  readonly kafkaDlqTopic: string;
  /** Stable across restarts of one instance, so a restart fences its own unfinished transaction. */
  readonly kafkaTransactionalId: string;
  /** With --forward-to-kafka: the topic this front end reads its replies from. */
  readonly kafkaReplyTopic: string;
  /** True when the reply topic's name was generated: the front end then deletes it on exit. */
  readonly kafkaReplyTopicGenerated: boolean;
}

export function kafkaDerivedConfig(c: Pick<KafkaShape, 'kafkaInputTopic' | 'kafkaGroupId' | KafkaDerivedField>): KafkaDerivedConfig {
  // Unique per process: two front ends on one host must never read each other's replies.
  const hostname = os.hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 100);
  return {
    kafkaReplyTopic: c.kafkaReplyTopic ?? `${c.kafkaInputTopic}.replies.${hostname}.${randomBytes(4).toString('hex')}`.slice(0, 249),
    kafkaReplyTopicGenerated: c.kafkaReplyTopic === undefined,
    kafkaDlqTopic: c.kafkaDlqTopic ?? `${c.kafkaInputTopic}.dlq`,
    kafkaTransactionalId: c.kafkaTransactionalId ?? `${c.kafkaGroupId}-${os.hostname()}`,
  };
}
