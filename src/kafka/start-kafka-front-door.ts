import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/config.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import { rowSchema } from '../model/row-schema.js';
import { KafkaFrontDoor, type KafkaEngine } from './kafka-front-door.js';
import { KafkaMetrics } from './kafka-metrics.js';

/** The Kafka front door the configuration asks for, consuming; `undefined` without `--kafka-brokers`. */
export async function startKafkaFrontDoor(config: GatewayConfig, engine: KafkaEngine, metrics: GatewayMetrics, logger: Logger): Promise<KafkaFrontDoor | undefined> {
  if (config.kafkaBrokers === undefined) return undefined;
  const { manifest } = config.model;
  const frontDoor = new KafkaFrontDoor({
    brokers: config.kafkaBrokers,
    clientId: config.kafkaClientId,
    groupId: config.kafkaGroupId,
    inputTopic: config.kafkaInputTopic,
    outputTopic: config.kafkaOutputTopic,
    dlqTopic: config.kafkaDlqTopic,
    exactlyOnce: config.exactlyOnce,
    transactionalId: config.kafkaTransactionalId,
    maxInFlight: config.kafkaMaxInFlight,
    timeoutMs: config.requestTimeoutMs,
    rowSchema: rowSchema(manifest.input),
    engine,
    metrics: new KafkaMetrics(manifest.name, metrics.registry),
    logger: logger.child({ component: 'kafka' }),
  });
  await frontDoor.start();
  return frontDoor;
}
