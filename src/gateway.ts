import { existsSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { PYTHON_DIR, type GatewayConfig } from './config/config.js';
import { Engine } from './engine/engine.js';
import { PrepareError } from './errors.js';
import { buildServer } from './http/server.js';
import { GatewayMetrics } from './metrics/metrics.js';
import type { ModelSpec } from './model/manifest.js';
import { prepareModel, venvPython } from './model/prepare-model.js';
import { WorkerPool } from './pool/worker-pool.js';
import type { KafkaFrontDoor } from './kafka/kafka-front-door.js';
import { startKafkaFrontDoor } from './kafka/start-kafka-front-door.js';
import { LiveModel } from './serving/live-model.js';

/** A running gateway: the model's workers, the engine over them and the HTTP front door (not yet listening). */
export interface Gateway {
  readonly config: GatewayConfig;
  readonly app: FastifyInstance;
  readonly engine: Engine;
  readonly model: LiveModel;
  /** The pool serving now (a reload replaces it). */
  readonly pool: WorkerPool;
  readonly metrics: GatewayMetrics;
  /** The Kafka front door, consuming, when `--kafka-brokers` is set. */
  readonly kafka: KafkaFrontDoor | undefined;
  /**
   * Stops accepting, answers everything accepted, then stops the workers.
   * Resolves `true` when that finished within `graceMs`, `false` when it was cut short.
   */
  close(graceMs?: number): Promise<boolean>;
}

/** The model's virtualenv and artifact, made if missing; returns the Python that runs its workers. */
export function prepareModelFor(config: GatewayConfig, logger: Logger, spec: ModelSpec = config.model): Promise<string> {
  return prepareModel({
    spec,
    python: config.python,
    workerRequirements: path.join(PYTHON_DIR, 'requirements.txt'),
    workerPython: config.workerPython,
    logger: logger.child({ component: 'prepare' }),
  });
}

/** Prepares the model (unless `config.prepare` is off), starts its workers and builds the HTTP server. */
export async function startGateway(config: GatewayConfig, logger: Logger): Promise<Gateway> {
  const spec = config.model;
  const name = spec.manifest.name;
  const python = config.prepare ? await prepareModelFor(config, logger) : (config.workerPython ?? venvPython(spec.dir));
  if (config.workerPython === undefined && !existsSync(python)) {
    throw new PrepareError(`${python} does not exist: start without --no-prepare once to create the model's virtualenv`);
  }

  let model: LiveModel | undefined;
  const metrics = new GatewayMetrics(name, {
    queuedRows: () => engine.queuedRows,
    inFlightBatches: () => engine.inFlightBatches,
    readyWorkers: () => model?.pool.readyCount ?? 0,
    batching: () => {
      const { batchCap, settings, cost, objectiveFeasible } = engine.state;
      return { batchCap, latencySloMs: settings.latencySloMs, fixedMs: cost?.fixedMs, perRowMs: cost?.perRowMs, objectiveFeasible };
    },
  });
  const createPool = (version: ModelSpec, size: number): WorkerPool =>
    new WorkerPool({
      size,
      worker: { python, modelDir: version.dir, pythonPath: PYTHON_DIR, startTimeoutMs: config.workerStartTimeoutMs, version: version.manifest.version },
      logger: logger.child({ component: 'pool', model: name, version: version.manifest.version }),
      onWorkerReady: () => engine.drain(),
      onWorkerRestart: () => metrics.workerRestarts.inc({ model: name }),
    });
  // The engine starts on an empty source; the model's pool takes over below.
  const engine: Engine = new Engine({
    maxBatchRows: config.maxBatchRows,
    maxQueueRows: config.maxQueueRows,
    latencySloMs: config.latencySloMs,
    maxBatchWaitMs: config.maxBatchWaitMs,
    batchTimeoutFloorMs: config.batchTimeoutFloorMs,
    maxRequestRows: config.maxRequestRows,
    workers: { pick: () => undefined, readyCount: 0 },
    metrics,
    logger: logger.child({ component: 'engine', model: name }),
  });
  model = new LiveModel(
    {
      spec,
      engine,
      createPool,
      ...(config.prepare ? { prepare: (next: ModelSpec) => prepareModelFor(config, logger, next) } : {}),
      metrics,
      logger: logger.child({ component: 'model', model: name }),
    },
    config.workers,
  );
  const live = model;
  engine.useWorkers(live.pool);
  await live.start();
  if (config.watchModel) live.watch();

  let draining = false;
  const app = await buildServer({
    config,
    engine,
    metrics,
    model: live,
    draining: () => draining,
    logger: logger.child({ component: 'http' }),
    readiness: () => {
      const pool = live.pool;
      const ready = pool.readyCount;
      const reason = draining ? 'shutting down' : ready === 0 ? (pool.lastStartError?.message ?? 'no worker is ready') : undefined;
      return { ready: ready > 0 && !draining, workersReady: ready, workers: pool.size, version: live.version, ...(reason ? { reason } : {}) };
    },
  });

  const kafka = await startKafkaFrontDoor(config, engine, metrics, logger).catch(async (error: unknown) => {
    await live.stop();
    throw error;
  });
  const shutdown = async (): Promise<void> => {
    draining = true;
    await kafka?.close();
    // Drain before closing the listener: new requests get 503 with
    // `Connection: close` while accepted ones finish, so no client is cut off
    // mid-request by an idle keep-alive connection being torn down.
    await engine.close();
    await app.close();
    await live.stop();
  };
  return {
    config,
    app,
    engine,
    model: live,
    get pool() {
      return live.pool;
    },
    metrics,
    kafka,
    async close(graceMs = config.shutdownGraceMs) {
      const done = shutdown().then(() => true);
      let timer: NodeJS.Timeout | undefined;
      const cut = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), graceMs);
      });
      const finished = await Promise.race([done, cut]);
      clearTimeout(timer);
      if (!finished) {
        logger.error({ graceMs }, 'shutdown grace period over: stopping workers with work unfinished');
        live.kill();
      }
      return finished;
    },
  };
}
