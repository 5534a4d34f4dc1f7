import type { Logger } from 'pino';
import type { BackendPool, ModelBackend } from '../backends/model-backend.js';
import type { ModelConfig } from '../config/config.js';
import { Engine, type Prediction, type SubmitOptions } from '../engine/engine.js';
import type { GatewayError } from '../errors.js';
import type { MetricFamilies } from '../metrics/metric-families.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import type { Manifest, ModelSpec, ObjectSchema } from '../model/manifest.js';
import type { Row } from '../model/row-schema.js';
import { LiveModel, type ReloadOutcome } from './live-model.js';
import { modelSchemas, resultCheck, type ModelSchemas } from './model-schemas.js';
import type { PredictingModel } from './predicting-model.js';
import { v2Platform } from '../v2/v2-platform.js';

export interface ServedModelOptions {
  readonly config: ModelConfig;
  readonly backend: ModelBackend;
  readonly families: MetricFamilies;
  /** Prepare the model's environment (virtualenv, artifact) before starting it, and each new version before a reload starts it. */
  readonly prepare: boolean;
  readonly batchTimeoutFloorMs: number;
  /** The largest request a front door lets through (`maxQueueRows` may not be tuned below it). */
  readonly maxRequestRows: number;
  /** Reads the model as it now is on disk (for reloads). */
  readonly reread: () => Promise<ModelSpec>;
  readonly logger: Logger;
}

/** One model's readiness, as `/health/ready` and the repository index report it. */
export interface ModelReadiness {
  readonly ready: boolean;
  readonly version: string;
  readonly workersReady: number;
  readonly workers: number;
  readonly reason?: string;
}

/**
 * One served model: its live version and pool, the engine in front of it
 * (its own queue, batcher, cost model and latency objective), its schemas
 * and its metrics. Front doors find it by name in the registry and hand it
 * rows; nothing here is shared with another model, so one model's trouble
 * (a hang, a crash loop, a full queue) stays its own.
 */
export class ServedModel implements PredictingModel {
  readonly name: string;
  readonly engine: Engine;
  readonly metrics: GatewayMetrics;
  readonly schemas: ModelSchemas;
  readonly #live: LiveModel;
  readonly #families: MetricFamilies;
  #draining = false;

  private constructor(options: ServedModelOptions) {
    const { config, backend, families, logger } = options;
    const { spec } = config;
    this.name = spec.manifest.name;
    this.schemas = modelSchemas(spec.manifest);
    this.#families = families;
    const name = this.name;
    let live: LiveModel | undefined;
    // Gauges read the engine and the pool serving at scrape time.
    const metrics = families.forModel(name, {
      queuedRows: () => engine.queuedRows,
      inFlightBatches: () => engine.inFlightBatches,
      readyWorkers: () => live?.pool.readyCount ?? 0,
      workerMemoryBytes: () => live?.pool.workerMemoryBytes,
      batching: () => {
        const { batchCap, settings, cost, objectiveFeasible } = engine.state;
        return { batchCap, latencySloMs: settings.latencySloMs, fixedMs: cost?.fixedMs, perRowMs: cost?.perRowMs, slowMarginMs: cost === undefined ? undefined : (cost.slowMarginMs ?? 0), objectiveFeasible };
      },
    });
    const engine: Engine = new Engine({
      maxBatchRows: config.maxBatchRows,
      maxQueueRows: config.maxQueueRows,
      latencySloMs: config.latencySloMs,
      latencySloMaxCost: config.latencySloMaxCost,
      maxBatchWaitMs: config.maxBatchWaitMs,
      batchTimeoutFloorMs: options.batchTimeoutFloorMs,
      maxRequestRows: options.maxRequestRows,
      // The engine starts on an empty source; the model's pool takes over below.
      workers: { pick: () => undefined, readyCount: 0 },
      metrics,
      logger: logger.child({ component: 'engine', model: name }),
      checkResult: resultCheck(this.schemas.result),
    });
    this.engine = engine;
    this.metrics = metrics;
    const createPool = (version: ModelSpec, size: number): BackendPool =>
      backend.createPool(
        version,
        size,
        { onWorkerReady: () => engine.drain(), onWorkerRestart: () => this.metrics.workerRestarts.inc({ model: name }) },
        logger.child({ component: 'pool', model: name, version: version.manifest.version }),
      );
    live = new LiveModel(
      {
        spec,
        engine,
        createPool,
        reread: options.reread,
        ...(options.prepare ? { prepare: (next: ModelSpec) => backend.prepare(next, logger.child({ component: 'prepare', model: name })) } : {}),
        metrics: this.metrics,
        logger: logger.child({ component: 'model', model: name }),
      },
      config.workers,
    );
    this.#live = live;
    engine.useWorkers(live.pool);
  }

  /**
   * Prepares the model (when asked), starts its workers and resolves once
   * every one is ready; rejects, with nothing left running, when it cannot.
   */
  static async start(options: ServedModelOptions): Promise<ServedModel> {
    const { backend, config, logger } = options;
    if (options.prepare) await backend.prepare(config.spec, logger.child({ component: 'prepare', model: config.spec.manifest.name }));
    else backend.checkPrepared(config.spec);
    const model = new ServedModel(options);
    try {
      await model.#live.start();
    } catch (error) {
      model.#families.removeModel(model.metrics);
      throw error;
    }
    return model;
  }

  get spec(): ModelSpec {
    return this.#live.spec;
  }

  get manifest(): Manifest {
    return this.#live.spec.manifest;
  }

  /** The version serving now (a reload changes it). */
  get version(): string {
    return this.#live.version;
  }

  get input(): ObjectSchema {
    return this.manifest.input;
  }

  get output(): ObjectSchema {
    return this.manifest.output;
  }

  /** The V2 model metadata's `platform`. */
  get platform(): string {
    return v2Platform(this.manifest.runtime);
  }

  /** The pool serving now (a reload replaces it). */
  get pool(): BackendPool {
    return this.#live.pool;
  }

  /** A worker can take a batch and the model is not being unloaded. */
  get ready(): boolean {
    return !this.#draining && this.#live.pool.readyCount > 0;
  }

  readiness(): ModelReadiness {
    const pool = this.#live.pool;
    const workersReady = pool.readyCount;
    const reason = this.#draining ? 'unloading' : workersReady === 0 ? (pool.lastStartError?.message ?? 'no worker is ready') : undefined;
    return { ready: reason === undefined, version: this.version, workersReady, workers: pool.size, ...(reason === undefined ? {} : { reason }) };
  }

  refusalOf(rows: number, maxWaitMs: number | undefined): GatewayError | undefined {
    return this.engine.refusalOf(rows, maxWaitMs);
  }

  /** Predicts `rows` through this model's engine: results in row order, or a `GatewayError`. */
  predict(rows: readonly Row[], options: SubmitOptions): Promise<Prediction> {
    return this.engine.predict(rows, options);
  }

  /** Blue/green: starts workers on the model as it now is on disk, switches to them once ready, drains the old ones. */
  reload(): Promise<ReloadOutcome> {
    return this.#live.reload();
  }

  resize(workers: number): void {
    this.#live.resize(workers);
  }

  /** Reloads whenever the artifact or model.json changes on disk. */
  watch(): void {
    this.#live.watch();
  }

  /** Refuses new work and resolves once every accepted request is answered. */
  drain(): Promise<void> {
    this.#draining = true;
    return this.engine.close();
  }

  /** Stops the workers (they finish their batches) and the model's gauges. */
  async stop(): Promise<void> {
    await this.#live.stop();
    this.#families.removeModel(this.metrics);
  }

  /** Kills the workers at once (the shutdown grace period is over). */
  kill(): void {
    this.#live.kill();
  }
}
