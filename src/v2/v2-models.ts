import type { GatewayError } from '../errors.js';
import type { Result, Row } from '../model/row-schema.js';
import type { DeclaredObject } from './declared-fields.js';

/** How one V2 request is admitted: the same knobs `/predict` sets from its headers. */
export interface V2PredictOptions {
  /** Milliseconds from now after which the rows must not reach the model. */
  readonly timeoutMs: number;
  /** The longest the caller will wait (an explicit `x-request-timeout`); undefined: the latency objective. */
  readonly maxWaitMs: number | undefined;
  readonly source: 'v2';
  /** The request's `x-request-id` (accepted or generated). */
  readonly requestId: string;
}

/** One served model as the V2 front door sees it. */
export interface V2Model {
  readonly name: string;
  /** The live version; a request naming another version is answered 404. */
  readonly version: string | undefined;
  /** The manifest's `input` and `output` declarations: the only source of the tensor metadata. */
  readonly input: DeclaredObject;
  readonly output: DeclaredObject;
  readonly ready: boolean;
  /** Reported as the model metadata's `platform`, e.g. `python`. */
  readonly platform?: string | undefined;
  /** The error any request of at least `rows` rows would be refused with now, or `undefined` (see `refuseBeforeBody`). */
  refusalOf(rows: number, maxWaitMs: number | undefined): GatewayError | undefined;
  /**
   * Rows in, one result per row out (same order), through the model's engine.
   * Failures are `GatewayError`s; their `code` decides the V2 status.
   */
  predict(rows: Row[], options: V2PredictOptions): Promise<{ results: Result[]; modelVersion: string | undefined }>;
}

/** The served models, looked up per request (models may be loaded and unloaded while serving). */
export interface V2Models {
  get(name: string): V2Model | undefined;
  list(): readonly V2Model[];
  /** The server answers requests (`/v2/health/live`). */
  live(): boolean;
  /** Every model is ready (`/v2/health/ready`). */
  ready(): boolean;
}
