import type { Prediction, SubmitOptions } from '../engine/engine.js';
import type { GatewayError } from '../errors.js';
import type { Manifest, ObjectSchema } from '../model/manifest.js';
import type { Row } from '../model/row-schema.js';
import type { ReloadOutcome } from './live-model.js';
import type { ModelSchemas } from './model-schemas.js';
import type { ModelReadiness } from './served-model.js';

/** How a front door submits one request: its deadline and admission budget, where it came from, and its `x-request-id`. */
export interface PredictOptions extends SubmitOptions {
  readonly requestId?: string | undefined;
}

/**
 * A model as the front doors and the registry see it, wherever its engine
 * runs: a {@link ServedModel} (this process's engine and workers) or a
 * `ForwardedModel` (the worker instances of a Kafka consumer group). The
 * routes only ever call this, so both answer with the same API, OpenAPI,
 * errors and metrics.
 */
export interface PredictingModel {
  readonly name: string;
  readonly version: string;
  readonly manifest: Manifest;
  readonly schemas: ModelSchemas;
  readonly input: ObjectSchema;
  readonly output: ObjectSchema;
  readonly ready: boolean;
  readiness(): ModelReadiness;
  /**
   * The error any request of at least `rows` rows would be refused with now
   * (shutting down, not ready, queue full, overloaded), counted as shed, or
   * `undefined`. The HTTP routes ask it with one row before reading a body.
   */
  refusalOf(rows: number, maxWaitMs: number | undefined): GatewayError | undefined;
  /** Results in row order, or a `GatewayError` (its code decides each front door's answer). */
  predict(rows: readonly Row[], options: PredictOptions): Promise<Prediction>;
  reload(): Promise<ReloadOutcome>;
  watch(): void;
  drain(): Promise<void>;
  stop(): Promise<void>;
  kill(): void;
}
