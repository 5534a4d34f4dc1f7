import type { Prediction } from '../engine/engine.js';
import { GatewayError, ModelError, ReloadError, ShuttingDownError } from '../errors.js';
import type { MetricFamilies } from '../metrics/metric-families.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import type { Manifest, ModelSpec, ObjectSchema } from '../model/manifest.js';
import type { Result, Row } from '../model/row-schema.js';
import type { ReloadOutcome } from '../registry/live-model.js';
import { modelSchemas, type ModelSchemas } from '../registry/model-schemas.js';
import type { PredictingModel, PredictOptions } from '../registry/predicting-model.js';
import type { ModelReadiness } from '../registry/served-model.js';
import type { KafkaForwarder } from './kafka-forwarder.js';
import { v2Platform } from '../v2/v2-platform.js';

/** What a forwarded model needs of the forwarder (a fake in unit tests). */
export type Forwarder = Pick<KafkaForwarder, 'ready' | 'health' | 'admit' | 'forward'>;

/**
 * A model served by the worker instances of the Kafka consumer group, as
 * this front end serves it: the manifest (read from the model repository
 * given to the front end) provides the schemas and OpenAPI, the forwarder
 * the predictions. Validation, errors and the per-model metrics are the
 * same as a local model's; batching happens on the worker instances.
 */
export class ForwardedModel implements PredictingModel {
  readonly name: string;
  readonly spec: ModelSpec;
  readonly schemas: ModelSchemas;
  readonly metrics: GatewayMetrics;
  readonly #forwarder: Forwarder;
  readonly #families: MetricFamilies;
  #pendingRows = 0;
  #draining = false;
  #drained: (() => void) | undefined;

  constructor(spec: ModelSpec, forwarder: Forwarder, families: MetricFamilies) {
    this.spec = spec;
    this.name = spec.manifest.name;
    this.schemas = modelSchemas(spec.manifest);
    this.#forwarder = forwarder;
    this.#families = families;
    // The queue is the rows awaiting replies; batches and workers are the worker instances' (their own /metrics).
    this.metrics = families.forModel(this.name, { queuedRows: () => this.#pendingRows, inFlightBatches: () => 0, readyWorkers: () => 0 });
  }

  get manifest(): Manifest {
    return this.spec.manifest;
  }

  /** The version of the manifest this front end was given (the replies do not say which version answered). */
  get version(): string {
    return this.spec.manifest.version;
  }

  get input(): ObjectSchema {
    return this.manifest.input;
  }

  get output(): ObjectSchema {
    return this.manifest.output;
  }

  get platform(): string {
    return v2Platform(this.manifest.runtime);
  }

  get ready(): boolean {
    return !this.#draining && this.#forwarder.ready;
  }

  readiness(): ModelReadiness {
    const reason = this.#draining ? 'unloading' : this.#forwarder.ready ? undefined : (this.#forwarder.health().reason ?? 'not connected to Kafka');
    return { ready: reason === undefined, version: this.version, workersReady: 0, workers: 0, ...(reason === undefined ? {} : { reason }) };
  }

  /** Refused here only for this front end's own limits (unloading, no broker, too many rows awaiting replies); the worker instances admit what reaches them. */
  refusalOf(rows: number, _maxWaitMs: number | undefined): GatewayError | undefined {
    const refusal = this.#draining ? new ShuttingDownError(`model ${this.name} is being unloaded`) : this.#forwarderRefusal(rows);
    if (refusal) this.metrics.shedTotal.inc({ model: this.name, reason: refusal.code });
    return refusal;
  }

  /** The forwarder's `admit` throws its refusal; anything else it throws is a bug, and propagates. */
  #forwarderRefusal(rows: number): GatewayError | undefined {
    try {
      this.#forwarder.admit(rows);
      return undefined;
    } catch (error) {
      if (error instanceof GatewayError) return error;
      throw error;
    }
  }

  /** Each row becomes one record (the worker instances batch rows of many requests and front ends); results in row order. */
  async predict(rows: readonly Row[], options: PredictOptions): Promise<Prediction> {
    const started = performance.now();
    const labels = { model: this.name, source: options.source };
    const refusal = this.refusalOf(rows.length, options.maxWaitMs);
    if (refusal) throw refusal;
    this.metrics.rowsTotal.inc(labels, rows.length);
    this.#pendingRows += rows.length;
    const outcomes = await Promise.all(rows.map((row) => this.#forwarder.forward(row, this.name, options)));
    this.#pendingRows -= rows.length;
    if (this.#pendingRows === 0) this.#drained?.();
    const failed = outcomes.findIndex((outcome) => outcome instanceof GatewayError);
    const seconds = (performance.now() - started) / 1000;
    if (failed >= 0) {
      const error = outcomes[failed] as GatewayError;
      this.metrics.requestDuration.observe({ ...labels, code: error.code }, seconds);
      // As the local engine does: a model failure names its row in the caller's request.
      throw error instanceof ModelError ? error.at({ row: failed }) : error;
    }
    this.metrics.requestDuration.observe({ ...labels, code: 'ok' }, seconds);
    return { results: outcomes as Result[], modelVersion: this.version };
  }

  reload(): Promise<ReloadOutcome> {
    return Promise.reject(new ReloadError(`model ${this.name} is forwarded to Kafka: reload it on the worker instances`));
  }

  /** The manifest is read once; the worker instances watch their own model files. */
  watch(): void {}

  /** Refuses new requests and resolves once every forwarded row has its reply (or its deadline passed). */
  drain(): Promise<void> {
    this.#draining = true;
    if (this.#pendingRows === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#drained = resolve;
    });
  }

  async stop(): Promise<void> {
    this.#families.removeModel(this.metrics);
  }

  kill(): void {}
}
