import { existsSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { PYTHON_DIR, type GatewayConfig } from './config/config.js';
import { Engine } from './engine/engine.js';
import { PrepareError } from './errors.js';
import { buildServer } from './http/server.js';
import { GatewayMetrics } from './metrics/metrics.js';
import { prepareModel, venvPython } from './model/prepare-model.js';
import { WorkerPool } from './pool/worker-pool.js';

/** A running gateway: the pool, the engine over it and the HTTP front door (not yet listening). */
export interface Gateway {
  readonly config: GatewayConfig;
  readonly app: FastifyInstance;
  readonly engine: Engine;
  readonly pool: WorkerPool;
  readonly metrics: GatewayMetrics;
  /** Stops accepting, answers everything accepted, then stops the workers. */
  close(): Promise<void>;
}

/** The model's virtualenv and artifact, made if missing; returns the Python that runs its workers. */
export function prepareModelFor(config: GatewayConfig, logger: Logger): Promise<string> {
  return prepareModel({
    spec: config.model,
    python: config.python,
    workerRequirements: path.join(PYTHON_DIR, 'requirements.txt'),
    workerPython: config.workerPython,
    logger: logger.child({ component: 'prepare' }),
  });
}

/** Prepares the model (unless `config.prepare` is off), starts its workers and builds the HTTP server. */
export async function startGateway(config: GatewayConfig, logger: Logger): Promise<Gateway> {
  const spec = config.model;
  const python = config.prepare ? await prepareModelFor(config, logger) : (config.workerPython ?? venvPython(spec.dir));
  if (config.workerPython === undefined && !existsSync(python)) {
    throw new PrepareError(`${python} does not exist: start without --no-prepare once to create the model's virtualenv`);
  }

  let engine: Engine | undefined;
  const pool = new WorkerPool({
    size: config.workers,
    worker: { python, modelDir: spec.dir, pythonPath: PYTHON_DIR, startTimeoutMs: config.workerStartTimeoutMs },
    logger: logger.child({ component: 'pool', model: spec.manifest.name }),
    onWorkerReady: () => engine?.drain(),
    onWorkerRestart: () => metrics.workerRestarts.inc({ model: spec.manifest.name }),
  });
  const metrics = new GatewayMetrics(spec.manifest.name, {
    queuedRows: () => engine?.queuedRows ?? 0,
    inFlightBatches: () => engine?.inFlightBatches ?? 0,
    readyWorkers: () => pool.readyCount,
  });
  engine = new Engine({ maxBatchRows: config.maxBatchRows, maxQueueRows: config.maxQueueRows, workers: pool, metrics });
  await pool.start();

  const app = await buildServer({
    config,
    engine,
    metrics,
    logger: logger.child({ component: 'http' }),
    readiness: () => {
      const ready = pool.readyCount;
      const reason = ready === 0 ? (pool.lastStartError?.message ?? 'no worker is ready') : undefined;
      return { ready: ready > 0, workersReady: ready, workers: pool.size, ...(reason ? { reason } : {}) };
    },
  });

  const running = engine;
  return {
    config,
    app,
    engine: running,
    pool,
    metrics,
    async close() {
      await app.close();
      await running.close();
      await pool.stop();
    },
  };
}
