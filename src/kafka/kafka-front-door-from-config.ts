import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { GatewayConfig } from '../config/config.js';
import { KafkaFrontDoor, type KafkaModels } from './kafka-front-door.js';
import { KafkaMetrics } from './kafka-metrics.js';

/** The Kafka front door the configuration asks for (not yet consuming); `undefined` without `--kafka-brokers`. */
export function kafkaFrontDoorFromConfig(config: GatewayConfig, models: KafkaModels, metrics: Registry, logger: Logger): KafkaFrontDoor | undefined {
  if (config.kafkaBrokers === undefined) return undefined;
  return new KafkaFrontDoor({
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
    models,
    metrics: new KafkaMetrics(metrics),
    logger: logger.child({ component: 'kafka' }),
  });
}
