import type { Logger } from 'pino';
import { modelConfig, type GatewayConfig } from '../config/config.js';
import type { HttpFrontDoor } from '../http/http-front-door.js';
import { checkPortFree } from '../http/port-in-use.js';
import { openFrontDoors } from '../lifecycle/open-front-doors.js';
import { MetricFamilies } from '../metrics/metric-families.js';
import { ModelRegistry } from '../registry/model-registry.js';
import { ForwardMetrics } from './forward-metrics.js';
import { ForwardedModel } from './forwarded-model.js';
import { KafkaForwarder } from './kafka-forwarder.js';

/** A running forwarding front end (`--forward-to-kafka`): HTTP in, Kafka to the worker instances, no local workers. */
export interface ForwardingGateway {
  readonly config: GatewayConfig;
  readonly registry: ModelRegistry<ForwardedModel>;
  readonly forwarder: KafkaForwarder;
  readonly http: HttpFrontDoor;
  readonly url: string | undefined;
  /** As a local gateway's: stop taking requests, await the replies of those taken (within `graceMs`), close. */
  close(graceMs?: number): Promise<boolean>;
}

/**
 * The composition root of the edge role: the model repository is read for
 * the schemas and the OpenAPI document (no virtualenv, no worker, no
 * Python), each model is a {@link ForwardedModel}, and the forwarder is
 * started before HTTP and closed after it.
 */
export async function startForwardingGateway(config: GatewayConfig, logger: Logger): Promise<ForwardingGateway> {
  const metrics = new MetricFamilies();
  const forwarder = new KafkaForwarder({
    brokers: config.kafkaBrokers ?? [],
    clientId: config.kafkaClientId,
    inputTopic: config.kafkaInputTopic,
    groupId: config.kafkaGroupId,
    replyTopic: config.kafkaReplyTopic,
    deleteReplyTopic: config.kafkaReplyTopicGenerated,
    maxPending: config.forwardMaxPending,
    retryMs: config.forwardRetryMs,
    metrics: new ForwardMetrics(metrics.registry),
    logger: logger.child({ component: 'forward' }),
  });
  const registry = new ModelRegistry<ForwardedModel>({
    repository: config.repository,
    defaultModel: config.defaultModel,
    configure: (spec) => modelConfig(spec, config.overrides, config.maxRequestRows),
    start: async (model) => new ForwardedModel(model.spec, forwarder, metrics),
    // The worker instances watch their model files; the front end's manifests only shape validation and docs.
    watch: false,
    logger: logger.child({ component: 'registry' }),
  });
  await checkPortFree(config.host, config.port);
  await registry.startAll(config.models);

  const doors = await openFrontDoors({ config, registry, metrics, logger, before: [forwarder], http: true });
  return {
    config,
    registry,
    forwarder,
    http: doors.http!,
    url: doors.http!.url,
    close: (graceMs = config.shutdownGraceMs) => doors.close(graceMs),
  };
}
