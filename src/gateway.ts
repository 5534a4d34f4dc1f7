import type { Logger } from 'pino';
import { createBackends, type BackendOptions } from './backends/backends.js';
import { modelConfig, PYTHON_DIR, type GatewayConfig, type ModelConfig } from './config/config.js';
import { checkPortFree } from './http/port-in-use.js';
import { kafkaFrontDoorFromConfig } from './kafka/kafka-front-door-from-config.js';
import type { FrontDoor } from './lifecycle/front-door.js';
import { openFrontDoors, type OpenFrontDoors } from './lifecycle/open-front-doors.js';
import { MetricFamilies } from './metrics/metric-families.js';
import { ModelRegistry } from './registry/model-registry.js';
import { ServedModel } from './registry/served-model.js';

/** A running gateway: every configured model serving, behind its front doors. */
export interface Gateway {
  readonly config: GatewayConfig;
  readonly registry: ModelRegistry;
  readonly metrics: MetricFamilies;
  /** The HTTP front door (listening), unless `--no-http`. */
  readonly http: OpenFrontDoors['http'];
  /** Where HTTP listens, unless `--no-http`. */
  readonly url: string | undefined;
  readonly frontDoors: readonly FrontDoor[];
  /**
   * Stops accepting, answers everything accepted, then stops the workers.
   * Resolves `true` when that finished within `graceMs`, `false` when it was cut short.
   */
  close(graceMs?: number): Promise<boolean>;
}

function backendOptions(config: GatewayConfig): BackendOptions {
  return { pythonDir: PYTHON_DIR, python: config.python, workerPython: config.workerPython, workerStartTimeoutMs: config.workerStartTimeoutMs, workerNice: config.workerNice };
}

/** Prepares every configured model (virtualenv, missing artifact) without starting it: `--prepare-only`. */
export async function prepareModels(config: GatewayConfig, logger: Logger): Promise<void> {
  const backends = createBackends(backendOptions(config));
  for (const { spec } of config.models) await backends[spec.manifest.runtime].prepare(spec, logger.child({ component: 'prepare', model: spec.manifest.name }));
}

/**
 * The composition root: the backends, the metrics, the registry of served
 * models, then the front doors over it, started in order. Readiness and
 * shutdown policy live in `lifecycle/`.
 */
export async function startGateway(config: GatewayConfig, logger: Logger): Promise<Gateway> {
  const backends = createBackends(backendOptions(config));
  const metrics = new MetricFamilies();
  const startModel = (model: ModelConfig): Promise<ServedModel> =>
    ServedModel.start({
      config: model,
      backend: backends[model.spec.manifest.runtime],
      families: metrics,
      prepare: config.prepare,
      batchTimeoutFloorMs: config.batchTimeoutFloorMs,
      maxRequestRows: config.maxRequestRows,
      reread: () => config.repository.spec(model.spec.manifest.name),
      logger,
    });
  const registry = new ModelRegistry({
    repository: config.repository,
    defaultModel: config.defaultModel,
    configure: (spec) => modelConfig(spec, config.overrides, config.maxRequestRows),
    start: startModel,
    watch: config.watchModel,
    logger: logger.child({ component: 'registry' }),
  });
  if (config.http) await checkPortFree(config.host, config.port);
  await registry.startAll(config.models, { exitOnError: config.exitOnError, failed: config.failedModels });

  const kafka = kafkaFrontDoorFromConfig(config, registry, metrics.registry, logger);
  const doors = await openFrontDoors({ config, registry, metrics, logger, http: config.http, after: kafka ? [kafka] : [] });
  return {
    config,
    registry,
    metrics,
    http: doors.http,
    url: doors.http?.url,
    frontDoors: doors.frontDoors,
    close: (graceMs = config.shutdownGraceMs) => doors.close(graceMs),
  };
}
