/**
 * Every failure the gateway reports carries one of these codes. The code is
 * the stable contract (tests, clients and dashboards key on it); messages may
 * change. What a code looks like on the wire (an HTTP status, a V2 error
 * body, Kafka dead-letter headers) is decided by each front door, not here.
 */
export const ERROR_CODES = {
  // configuration and start-up
  GW_ERR_CONFIG: { retriable: false, summary: 'An option or environment variable is invalid' },
  GW_ERR_MANIFEST: { retriable: false, summary: "A model's model.json is invalid" },
  GW_ERR_PREPARE: { retriable: false, summary: "A model's environment or artifact could not be prepared" },
  // input
  GW_ERR_VALIDATION: { retriable: false, summary: 'The input is invalid: issues name each field and why' },
  GW_ERR_INVALID_JSON: { retriable: false, summary: 'The body (or Kafka record) is not JSON' },
  GW_ERR_UNSUPPORTED_MEDIA_TYPE: { retriable: false, summary: 'The content type is not application/json' },
  GW_ERR_PAYLOAD_TOO_LARGE: { retriable: false, summary: 'The body is larger than the limit' },
  GW_ERR_TOO_MANY_ROWS: { retriable: false, summary: 'More rows than a request may hold' },
  GW_ERR_BAD_REQUEST: { retriable: false, summary: 'The HTTP request itself could not be read' },
  GW_ERR_NOT_FOUND: { retriable: false, summary: 'No such route' },
  GW_ERR_METHOD_NOT_ALLOWED: { retriable: false, summary: 'The path exists, but not for this method: the Allow header lists the methods it takes' },
  GW_ERR_MODEL_NOT_FOUND: { retriable: false, summary: 'No model of that name is loaded' },
  GW_ERR_EMPTY_RECORD: { retriable: false, summary: 'A Kafka record has no value' },
  // admission and deadlines
  GW_ERR_QUEUE_FULL: { retriable: true, summary: "The model's queue is full" },
  GW_ERR_OVERLOADED: { retriable: true, summary: 'The predicted wait exceeds the latency objective' },
  GW_ERR_NOT_READY: { retriable: true, summary: 'No worker of the model is ready' },
  GW_ERR_SHUTTING_DOWN: { retriable: true, summary: 'The gateway (or this model) is shutting down' },
  GW_ERR_DEADLINE_EXCEEDED: { retriable: false, summary: 'The deadline passed before the answer: rows still queued were not sent, rows already at the model were computed and dropped' },
  // workers and the model
  GW_ERR_MODEL: { retriable: false, summary: "The model's handler failed on this input" },
  GW_ERR_WORKER_EXITED: { retriable: true, summary: 'The worker running the batch exited' },
  GW_ERR_BATCH_TIMEOUT: { retriable: true, summary: 'The batch ran past its time budget; its worker was replaced' },
  GW_ERR_POISON_ROW: { retriable: false, summary: 'This row alone kept crashing or hanging the model' },
  GW_ERR_WORKER_START: { retriable: true, summary: 'A worker failed to start' },
  GW_ERR_PROTOCOL: { retriable: false, summary: 'A worker broke the wire protocol' },
  // admin and the model repository
  GW_ERR_UNAUTHORIZED: { retriable: false, summary: 'The admin token is missing or wrong' },
  GW_ERR_RELOAD_FAILED: { retriable: false, summary: 'A new version failed to start; the old one keeps serving' },
  GW_ERR_LOAD_FAILED: { retriable: false, summary: 'A model of the repository could not be loaded' },
  GW_ERR_RELOAD_IN_PROGRESS: { retriable: false, summary: 'A load, reload or unload of this model is in progress' },
  // kafka
  GW_ERR_KAFKA: { retriable: true, summary: 'The Kafka client failed' },
  GW_ERR_INTERNAL: { retriable: false, summary: 'An unexpected error' },
} as const satisfies Record<`GW_ERR_${string}`, { readonly retriable: boolean; readonly summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Every code, in declaration order (the OpenAPI enum). */
export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/** One problem with one field of the input. */
export interface FieldIssue {
  /** Where the problem is, e.g. `age` or `instances[3].age`. */
  readonly field: string;
  /** Why it is rejected, e.g. `must be >= 0`. */
  readonly reason: string;
}

export interface GatewayErrorOptions {
  readonly cause?: unknown;
}

export abstract class GatewayError extends Error {
  abstract readonly code: ErrorCode;
  /** Seconds a client should wait before retrying (load shedding only). */
  readonly retryAfterSeconds: number | undefined = undefined;

  constructor(message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }

  /** True when the same request may succeed if sent again later. */
  get retriable(): boolean {
    return ERROR_CODES[this.code].retriable;
  }

  /** Extra fields for the error body, beside `code` and `message`. */
  details(): Record<string, unknown> {
    return {};
  }
}

// ---- configuration and start-up -------------------------------------------------

export class ConfigError extends GatewayError {
  readonly code = 'GW_ERR_CONFIG';
  constructor(readonly issues: readonly FieldIssue[]) {
    super(`invalid configuration: ${issues.map((i) => `${i.field}: ${i.reason}`).join('; ')}`);
  }
}

export class ManifestError extends GatewayError {
  readonly code = 'GW_ERR_MANIFEST';
  constructor(readonly manifestPath: string, reason: string, options?: GatewayErrorOptions) {
    super(`model manifest ${manifestPath}: ${reason}`, options);
  }
}

export class PrepareError extends GatewayError {
  readonly code = 'GW_ERR_PREPARE';
}

// ---- input ------------------------------------------------------------------------

/** Issues listed in one error at most: a body of a million unknown keys must not answer with a million issues. */
export const MAX_REPORTED_ISSUES = 20;

export class ValidationError extends GatewayError {
  readonly code = 'GW_ERR_VALIDATION';
  /** The first {@link MAX_REPORTED_ISSUES} issues. */
  readonly issues: readonly FieldIssue[];
  /** Issues found beyond those listed. */
  readonly issuesOmitted: number;
  constructor(issues: readonly FieldIssue[]) {
    const listed = issues.slice(0, MAX_REPORTED_ISSUES);
    const omitted = issues.length - listed.length;
    super(listed.map((i) => `${i.field}: ${i.reason}`).join('; ') + (omitted > 0 ? `; and ${omitted} more` : ''));
    this.issues = listed;
    this.issuesOmitted = omitted;
  }
  override details(): Record<string, unknown> {
    return this.issuesOmitted > 0 ? { issues: this.issues, issuesOmitted: this.issuesOmitted } : { issues: this.issues };
  }
}

export class InvalidJsonError extends GatewayError {
  readonly code = 'GW_ERR_INVALID_JSON';
}

export class UnsupportedMediaTypeError extends GatewayError {
  readonly code = 'GW_ERR_UNSUPPORTED_MEDIA_TYPE';
}

export class PayloadTooLargeError extends GatewayError {
  readonly code = 'GW_ERR_PAYLOAD_TOO_LARGE';
  constructor(readonly limitBytes: number) {
    super(`request body is larger than the limit of ${limitBytes} bytes`);
  }
  override details(): Record<string, unknown> {
    return { limitBytes: this.limitBytes };
  }
}

export class TooManyRowsError extends GatewayError {
  readonly code = 'GW_ERR_TOO_MANY_ROWS';
  constructor(readonly rows: number, readonly limitRows: number) {
    super(`instances: ${rows} rows is more than the limit of ${limitRows} per request`);
  }
  override details(): Record<string, unknown> {
    return { field: 'instances', rows: this.rows, limitRows: this.limitRows };
  }
}

/** Why a request could not be read as HTTP; the HTTP front door turns each into its status. */
export type BadHttpReason = 'malformed' | 'timeout' | 'headers_too_large' | 'expectation_failed';

/** The HTTP request itself could not be read (malformed, headers too large, too slow); no route ran. */
export class BadHttpRequestError extends GatewayError {
  readonly code = 'GW_ERR_BAD_REQUEST';
  constructor(message: string, readonly reason: BadHttpReason, options?: GatewayErrorOptions) {
    super(message, options);
  }
}

export class NotFoundError extends GatewayError {
  readonly code = 'GW_ERR_NOT_FOUND';
}

/** The path is served, but not with this method; `allow` lists the methods it takes. */
export class MethodNotAllowedError extends GatewayError {
  readonly code = 'GW_ERR_METHOD_NOT_ALLOWED';
  constructor(readonly method: string, readonly path: string, readonly allow: readonly string[]) {
    super(`${path} does not take ${method}; it takes ${allow.join(', ')}`);
  }
  override details(): Record<string, unknown> {
    return { allow: this.allow };
  }
}

/** No model of this name is loaded (never was, or was unloaded). */
export class ModelNotFoundError extends GatewayError {
  readonly code = 'GW_ERR_MODEL_NOT_FOUND';
  constructor(readonly model: string, why = 'is not loaded') {
    super(`model "${model}" ${why}`);
  }
  override details(): Record<string, unknown> {
    return { model: this.model };
  }
}

/** A record with no value (a tombstone) reached the input topic: there is no row to predict. */
export class EmptyRecordError extends GatewayError {
  readonly code = 'GW_ERR_EMPTY_RECORD';
  constructor() {
    super('the record has no value: send one JSON row per record');
  }
}

// ---- admission and deadlines ---------------------------------------------------------

export class QueueFullError extends GatewayError {
  readonly code = 'GW_ERR_QUEUE_FULL';
  override readonly retryAfterSeconds = 1;
  constructor(readonly queuedRows: number, readonly limitRows: number) {
    super(`the queue holds ${queuedRows} rows, its limit is ${limitRows}: try again shortly`);
  }
}

/** The predicted wait for this request is longer than the latency objective: refused now rather than answered late. */
export class OverloadedError extends GatewayError {
  readonly code = 'GW_ERR_OVERLOADED';
  override readonly retryAfterSeconds: number;
  constructor(readonly predictedMs: number, readonly objectiveMs: number) {
    super(`the predicted wait of ${Math.round(predictedMs)} ms exceeds the latency objective of ${objectiveMs} ms: try again shortly`);
    this.retryAfterSeconds = Math.max(1, Math.ceil((predictedMs - objectiveMs) / 1000));
  }
  override details(): Record<string, unknown> {
    return { predictedMs: Math.round(this.predictedMs), objectiveMs: this.objectiveMs };
  }
}

export class NotReadyError extends GatewayError {
  readonly code = 'GW_ERR_NOT_READY';
  override readonly retryAfterSeconds = 1;
}

export class ShuttingDownError extends GatewayError {
  readonly code = 'GW_ERR_SHUTTING_DOWN';
  override readonly retryAfterSeconds = 1;
  constructor(message = 'the gateway is shutting down') {
    super(message);
  }
}

export class DeadlineExceededError extends GatewayError {
  readonly code = 'GW_ERR_DEADLINE_EXCEEDED';
  constructor(readonly timeoutMs: number) {
    super(`no result within the request deadline of ${timeoutMs} ms`);
  }
  override details(): Record<string, unknown> {
    return { timeoutMs: this.timeoutMs };
  }
}

// ---- workers and the model ---------------------------------------------------------

/**
 * Where in a caller's request a failing row sits: `row` is its index among the
 * rows submitted (set by the engine), `field` how the front door names it
 * (`instances[2]`), set only where the request held several rows.
 */
export interface RowLocation {
  readonly row?: number | undefined;
  readonly field?: string | undefined;
}

function locationDetails(location: RowLocation): Record<string, unknown> {
  return { ...(location.field === undefined ? {} : { field: location.field }), ...(location.row === undefined ? {} : { row: location.row }) };
}

/** The model's handler raised (or answered wrongly) for the batch holding this row. */
export class ModelError extends GatewayError {
  readonly code = 'GW_ERR_MODEL';
  /** The worker's own error code, e.g. `HANDLER_ERROR`, `RESULT_LENGTH`, `RESULT_SCHEMA`. */
  constructor(readonly workerCode: string, message: string, readonly location: RowLocation = {}) {
    super(location.field === undefined ? message : `${location.field}: ${message}`);
    this.#reason = message;
  }
  readonly #reason: string;
  /** The same failure, located in the caller's request. */
  at(location: RowLocation): ModelError {
    return new ModelError(this.workerCode, this.#reason, { ...this.location, ...location });
  }
  override details(): Record<string, unknown> {
    return { workerCode: this.workerCode, ...locationDetails(this.location) };
  }
}
export class WorkerExitedError extends GatewayError {
  readonly code = 'GW_ERR_WORKER_EXITED';
  override readonly retryAfterSeconds = 1;
}

/** A batch ran past its time budget; its worker was killed and the batch handled as a crash. */
export class BatchTimeoutError extends GatewayError {
  readonly code = 'GW_ERR_BATCH_TIMEOUT';
  override readonly retryAfterSeconds = 1;
  constructor(readonly budgetMs: number, readonly rows: number) {
    super(`a batch of ${rows} rows ran past its budget of ${Math.round(budgetMs)} ms; its worker was replaced`);
  }
}

/** This row alone kept killing (or hanging) the worker that ran it: it is refused, the rest of its batch is served. */
export class PoisonRowError extends GatewayError {
  readonly code = 'GW_ERR_POISON_ROW';
  constructor(readonly attempts: number, readonly lastError: GatewayError, readonly location: RowLocation = {}) {
    super(`${location.field === undefined ? '' : `${location.field}: `}this row crashed the model worker ${attempts} times on its own (last: ${lastError.message}); it was not retried further`);
  }
  /** The same failure, located in the caller's request. */
  at(location: RowLocation): PoisonRowError {
    return new PoisonRowError(this.attempts, this.lastError, { ...this.location, ...location });
  }
  override details(): Record<string, unknown> {
    return { attempts: this.attempts, lastCode: this.lastError.code, ...locationDetails(this.location) };
  }
}

export class WorkerStartError extends GatewayError {
  readonly code = 'GW_ERR_WORKER_START';
  /** The process was killed by a signal from outside while loading (not by its own failure, nor by our start timeout). */
  readonly killedFromOutside: boolean;
  constructor(message: string, options: GatewayErrorOptions & { killedFromOutside?: boolean } = {}) {
    super(message, options);
    this.killedFromOutside = options.killedFromOutside ?? false;
  }
}

export class ProtocolError extends GatewayError {
  readonly code = 'GW_ERR_PROTOCOL';
}

// ---- admin and the model repository ------------------------------------------------

export class UnauthorizedError extends GatewayError {
  readonly code = 'GW_ERR_UNAUTHORIZED';
  constructor() {
    super('this endpoint needs the admin token: send "Authorization: Bearer <token>"');
  }
}

/** A new model version could not be started; the old one keeps serving. */
export class ReloadError extends GatewayError {
  readonly code = 'GW_ERR_RELOAD_FAILED';
}

/** A model directory of the repository could not be loaded (bad manifest, failed to start). */
export class LoadError extends GatewayError {
  readonly code = 'GW_ERR_LOAD_FAILED';
  constructor(readonly model: string, message: string, options?: GatewayErrorOptions) {
    super(message, options);
  }
  override details(): Record<string, unknown> {
    return { model: this.model };
  }
}

export class ReloadInProgressError extends GatewayError {
  readonly code = 'GW_ERR_RELOAD_IN_PROGRESS';
  constructor(what = 'a reload of this model is already in progress') {
    super(what);
  }
}

// ---- kafka ---------------------------------------------------------------------------

/** The Kafka client failed (broker unreachable, produce or commit refused after its retries). */
export class KafkaError extends GatewayError {
  readonly code = 'GW_ERR_KAFKA';
}

export class InternalError extends GatewayError {
  readonly code = 'GW_ERR_INTERNAL';
}

/**
 * A failure that a worker instance reported for a forwarded request (its
 * reply's `error-code` header): the same code, message and details, so the
 * forwarding front end maps it to its answer as it would a local one.
 */
export class ForwardedError extends GatewayError {
  readonly code: ErrorCode;
  override readonly retryAfterSeconds: number | undefined;
  readonly #details: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.#details = details;
    // The shedding codes carry Retry-After locally; the far side's figure is not in the reply.
    this.retryAfterSeconds = ERROR_CODES[code].retriable ? 1 : undefined;
  }
  override details(): Record<string, unknown> {
    return this.#details;
  }
}
