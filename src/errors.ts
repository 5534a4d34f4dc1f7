/**
 * Every failure the gateway reports is one of these classes. The `code` is the
 * stable contract (tests, clients and dashboards key on it); messages may change.
 */

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
  abstract readonly code: `GW_ERR_${string}`;
  /** HTTP status the error maps to at the HTTP front door. */
  abstract readonly statusCode: number;
  /** True when the same request may succeed if sent again later. */
  readonly retriable: boolean = false;
  /** Seconds a client should wait before retrying (429/503 only). */
  readonly retryAfterSeconds: number | undefined = undefined;

  constructor(message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }

  /** Extra fields for the error body, beside `code` and `message`. */
  details(): Record<string, unknown> {
    return {};
  }
}

// ---- configuration and start-up -------------------------------------------------

export class ConfigError extends GatewayError {
  readonly code = 'GW_ERR_CONFIG';
  readonly statusCode = 500;
  constructor(readonly issues: readonly FieldIssue[]) {
    super(`invalid configuration: ${issues.map((i) => `${i.field}: ${i.reason}`).join('; ')}`);
  }
}

export class ManifestError extends GatewayError {
  readonly code = 'GW_ERR_MANIFEST';
  readonly statusCode = 500;
  constructor(readonly manifestPath: string, reason: string, options?: GatewayErrorOptions) {
    super(`model manifest ${manifestPath}: ${reason}`, options);
  }
}

export class PrepareError extends GatewayError {
  readonly code = 'GW_ERR_PREPARE';
  readonly statusCode = 500;
}

// ---- input ------------------------------------------------------------------------

/** Issues listed in one error at most: a body of a million unknown keys must not answer with a million issues. */
export const MAX_REPORTED_ISSUES = 20;

export class ValidationError extends GatewayError {
  readonly code = 'GW_ERR_VALIDATION';
  readonly statusCode = 400;
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
  readonly statusCode = 400;
}

export class UnsupportedMediaTypeError extends GatewayError {
  readonly code = 'GW_ERR_UNSUPPORTED_MEDIA_TYPE';
  readonly statusCode = 415;
}

export class PayloadTooLargeError extends GatewayError {
  readonly code = 'GW_ERR_PAYLOAD_TOO_LARGE';
  readonly statusCode = 413;
  constructor(readonly limitBytes: number) {
    super(`request body is larger than the limit of ${limitBytes} bytes`);
  }
  override details(): Record<string, unknown> {
    return { limitBytes: this.limitBytes };
  }
}

export class TooManyRowsError extends GatewayError {
  readonly code = 'GW_ERR_TOO_MANY_ROWS';
  readonly statusCode = 413;
  constructor(readonly rows: number, readonly limitRows: number) {
    super(`instances: ${rows} rows is more than the limit of ${limitRows} per request`);
  }
  override details(): Record<string, unknown> {
    return { field: 'instances', rows: this.rows, limitRows: this.limitRows };
  }
}

/** The HTTP request itself could not be read (malformed, headers too large, too slow); no route ran. */
export class BadHttpRequestError extends GatewayError {
  readonly code = 'GW_ERR_BAD_REQUEST';
  constructor(message: string, readonly statusCode: 400 | 408 | 431, options?: GatewayErrorOptions) {
    super(message, options);
  }
}

export class NotFoundError extends GatewayError {
  readonly code = 'GW_ERR_NOT_FOUND';
  readonly statusCode = 404;
}

// ---- admission and deadlines ---------------------------------------------------------

export class QueueFullError extends GatewayError {
  readonly code = 'GW_ERR_QUEUE_FULL';
  readonly statusCode = 503;
  override readonly retriable = true;
  override readonly retryAfterSeconds = 1;
  constructor(readonly queuedRows: number, readonly limitRows: number) {
    super(`the queue holds ${queuedRows} rows, its limit is ${limitRows}: try again shortly`);
  }
}

/** The predicted wait for this request is longer than the latency objective: refused now rather than answered late. */
export class OverloadedError extends GatewayError {
  readonly code = 'GW_ERR_OVERLOADED';
  readonly statusCode = 503;
  override readonly retriable = true;
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
  readonly statusCode = 503;
  override readonly retriable = true;
  override readonly retryAfterSeconds = 1;
}

export class ShuttingDownError extends GatewayError {
  readonly code = 'GW_ERR_SHUTTING_DOWN';
  readonly statusCode = 503;
  override readonly retriable = true;
  override readonly retryAfterSeconds = 1;
  constructor() {
    super('the gateway is shutting down');
  }
}

export class DeadlineExceededError extends GatewayError {
  readonly code = 'GW_ERR_DEADLINE_EXCEEDED';
  readonly statusCode = 504;
  constructor(readonly timeoutMs: number) {
    super(`no result within the request deadline of ${timeoutMs} ms`);
  }
  override details(): Record<string, unknown> {
    return { timeoutMs: this.timeoutMs };
  }
}

// ---- workers and the model ---------------------------------------------------------

/** The model's handler raised (or answered wrongly) for the batch holding this row. */
export class ModelError extends GatewayError {
  readonly code = 'GW_ERR_MODEL';
  readonly statusCode = 500;
  /** The worker's own error code, e.g. `HANDLER_ERROR`, `RESULT_LENGTH`. */
  constructor(readonly workerCode: string, message: string) {
    super(message);
  }
  override details(): Record<string, unknown> {
    return { workerCode: this.workerCode };
  }
}

export class WorkerExitedError extends GatewayError {
  readonly code = 'GW_ERR_WORKER_EXITED';
  readonly statusCode = 503;
  override readonly retriable = true;
  override readonly retryAfterSeconds = 1;
}

/** A batch ran past its time budget; its worker was killed and the batch handled as a crash. */
export class BatchTimeoutError extends GatewayError {
  readonly code = 'GW_ERR_BATCH_TIMEOUT';
  readonly statusCode = 503;
  override readonly retriable = true;
  override readonly retryAfterSeconds = 1;
  constructor(readonly budgetMs: number, readonly rows: number) {
    super(`a batch of ${rows} rows ran past its budget of ${Math.round(budgetMs)} ms; its worker was replaced`);
  }
}

/** This row alone kept killing (or hanging) the worker that ran it: it is refused, the rest of its batch is served. */
export class PoisonRowError extends GatewayError {
  readonly code = 'GW_ERR_POISON_ROW';
  readonly statusCode = 500;
  constructor(readonly attempts: number, readonly lastError: GatewayError) {
    super(`this row crashed the model worker ${attempts} times on its own (last: ${lastError.message}); it was not retried further`);
  }
  override details(): Record<string, unknown> {
    return { attempts: this.attempts, lastCode: this.lastError.code };
  }
}

export class WorkerStartError extends GatewayError {
  readonly code = 'GW_ERR_WORKER_START';
  readonly statusCode = 503;
}

export class ProtocolError extends GatewayError {
  readonly code = 'GW_ERR_PROTOCOL';
  readonly statusCode = 500;
}

// ---- admin ---------------------------------------------------------------------------

export class UnauthorizedError extends GatewayError {
  readonly code = 'GW_ERR_UNAUTHORIZED';
  readonly statusCode = 401;
  constructor() {
    super('this endpoint needs the admin token: send "Authorization: Bearer <token>"');
  }
}

/** A new model version could not be started; the old one keeps serving. */
export class ReloadError extends GatewayError {
  readonly code = 'GW_ERR_RELOAD_FAILED';
  readonly statusCode = 422;
}

export class ReloadInProgressError extends GatewayError {
  readonly code = 'GW_ERR_RELOAD_IN_PROGRESS';
  readonly statusCode = 409;
  constructor() {
    super('a reload of this model is already in progress');
  }
}

// ---- kafka ---------------------------------------------------------------------------

/** The Kafka client failed (broker unreachable, produce or commit refused after its retries). */
export class KafkaError extends GatewayError {
  readonly code = 'GW_ERR_KAFKA';
  readonly statusCode = 503;
  override readonly retriable = true;
}

/** A record with no value (a tombstone) reached the input topic: there is no row to predict. */
export class EmptyRecordError extends GatewayError {
  readonly code = 'GW_ERR_EMPTY_RECORD';
  readonly statusCode = 400;
  constructor() {
    super('the record has no value: send one JSON row per record');
  }
}

export class InternalError extends GatewayError {
  readonly code = 'GW_ERR_INTERNAL';
  readonly statusCode = 500;
}
