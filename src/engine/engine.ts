import type { Logger } from 'pino';
import { GatewayError, NotReadyError, OverloadedError, QueueFullError, ShuttingDownError, TooManyRowsError, ValidationError, type FieldIssue } from '../errors.js';
import type { GatewayMetrics, Source } from '../metrics/metrics.js';
import type { Result, Row } from '../model/row-schema.js';
import { Batcher, type BatchSettings, type WorkerSource } from './batcher.js';
import type { ResultCheck } from './check-results.js';
import { CostModel, type CostFit } from './cost-model.js';
import { PendingRequest } from './pending-request.js';
import { admissionRefusal } from './admission.js';
import { batchBudgetMs } from './batch-cap.js';
import { DEFAULT_LATENCY_SLO_MAX_COST, infeasibleBecause, type FeasibilityChange, type InfeasibleReason } from './objective-feasibility.js';

/** The pool as the engine sees it. */
export interface EngineWorkers extends WorkerSource {
  readonly readyCount: number;
  /** No worker is ready, but one is restarting after a crash (not failing to start): queue rather than refuse. */
  readonly recovering?: boolean;
  readonly lastStartError?: Error | undefined;
}

export interface EngineOptions {
  readonly maxBatchRows: number;
  readonly maxQueueRows: number;
  readonly latencySloMs?: number | undefined;
  /** See {@link BatchSettings.latencySloMaxCost}; default {@link DEFAULT_LATENCY_SLO_MAX_COST}. */
  readonly latencySloMaxCost?: number | undefined;
  readonly maxBatchWaitMs?: number;
  readonly batchTimeoutFloorMs?: number;
  /** The largest request a front door lets through: `maxQueueRows` may never be tuned below it. */
  readonly maxRequestRows?: number;
  readonly workers: EngineWorkers;
  readonly metrics?: GatewayMetrics;
  /** Told (once per change, not per request) when the latency objective becomes infeasible or feasible again. */
  readonly logger?: Logger;
  readonly now?: () => number;
  /** Checks each result against the model's declared output (see {@link ResultCheck}). */
  readonly checkResult?: ResultCheck | undefined;
}

export interface SubmitOptions {
  /** Milliseconds from now after which the rows must not reach the model. */
  readonly timeoutMs: number;
  readonly source: Source;
  /**
   * The longest this caller is willing to wait: work predicted to take longer
   * is refused at once. Default: the latency objective. A bulk client says
   * it will wait longer (HTTP: an explicit `x-request-timeout`; Kafka always).
   */
  readonly maxWaitMs?: number | undefined;
}

/** Results in the order of the rows, and the model version that produced them. */
export interface Prediction {
  readonly results: Result[];
  readonly modelVersion: string | undefined;
}

/** Settings that may be changed while serving (`PATCH /admin/config`). */
export interface EngineSettings extends BatchSettings {
  maxQueueRows: number;
}

/** What the engine knows about its own batching, for the admin API and metrics. */
export interface EngineState {
  readonly settings: Readonly<EngineSettings>;
  readonly batchCap: number;
  readonly cost: CostFit | undefined;
  /**
   * Whether the latency objective can be met at a price worth paying, by the
   * learned cost (see ObjectiveFeasibility); `undefined` without an
   * objective or while the cost model warms up. When `false`, batches are
   * sized for throughput and the objective only bounds queueing.
   */
  readonly objectiveFeasible: boolean | undefined;
  /** Why it is `false`; `undefined` otherwise. */
  readonly objectiveInfeasibleReason: InfeasibleReason | undefined;
  readonly queuedRows: number;
  readonly inFlightBatches: number;
}

/**
 * The one entry point of both front doors: admission control, then the
 * batcher, then the workers. Front doors hand rows in and get results (in the
 * same order) or a typed error out; they never see a worker.
 */
export class Engine {
  #batcher: Batcher;
  #settings: EngineSettings;
  #cost = new CostModel();
  #workers: EngineWorkers;
  #metrics: GatewayMetrics | undefined;
  #now: () => number;
  #logger: Logger | undefined;
  #maxRequestRows: number;
  #closing = false;
  #idleWaiters: (() => void)[] = [];

  constructor(options: EngineOptions) {
    this.#workers = options.workers;
    this.#metrics = options.metrics;
    this.#now = options.now ?? (() => performance.now());
    this.#logger = options.logger;
    this.#maxRequestRows = options.maxRequestRows ?? 1;
    this.#settings = {
      maxBatchRows: options.maxBatchRows,
      maxQueueRows: options.maxQueueRows,
      latencySloMs: options.latencySloMs,
      latencySloMaxCost: options.latencySloMaxCost ?? DEFAULT_LATENCY_SLO_MAX_COST,
      maxBatchWaitMs: options.maxBatchWaitMs ?? 0,
      batchTimeoutFloorMs: options.batchTimeoutFloorMs ?? 10_000,
    };
    const metrics = this.#metrics;
    const model = metrics?.model ?? '';
    this.#batcher = new Batcher({
      settings: this.#settings,
      workers: options.workers,
      cost: this.#cost,
      now: this.#now,
      checkResult: options.checkResult,
      hooks: {
        onDispatch: (rows, slices, now, predictedMs) => {
          if (!metrics) return;
          metrics.batchRows.observe({ model }, rows);
          if (predictedMs !== undefined) metrics.batchPredicted.observe({ model }, predictedMs / 1000);
          const sloMs = this.#settings.latencySloMs;
          // Where the objective is traded for throughput, on purpose: visible per batch, not only in latency.
          if (predictedMs !== undefined && sloMs !== undefined && predictedMs > batchBudgetMs(sloMs) + 1e-6) {
            metrics.batchesOverBudget.inc({ model, reason: this.#batcher.objectiveFeasible === false ? 'infeasible' : 'amortising' });
          }
          for (const slice of slices) {
            if (slice.offset === 0 && slice.request.dispatchedAt === now) metrics.queueWait.observe({ model }, (now - slice.request.acceptedAt) / 1000);
          }
        },
        onBatchDone: (rows, durationMs, error, version) => {
          if (!metrics) return;
          metrics.batchDuration.observe({ model, outcome: error ? error.code : 'ok' }, durationMs / 1000);
          if (!error) metrics.predictionsTotal.inc({ model, version }, rows);
        },
        onRetry: (reason, rows) => metrics?.batchRetries.inc({ model, reason }, rows),
        onPoison: (error) => metrics?.poisonRows.inc({ model, code: error.code }),
        onExpired: () => metrics?.expiredTotal.inc({ model }),
        onIdle: () => this.#notifyIdle(),
        onFeasibilityChange: (change) => this.#reportFeasibility(change),
      },
    });
  }

  /** Predicts `rows`; resolves with one result per row, in order, or rejects with a {@link GatewayError}. */
  async submit(rows: readonly Row[], options: SubmitOptions): Promise<Result[]> {
    return (await this.predict(rows, options)).results;
  }

  /** As {@link submit}, with the model version that answered. */
  predict(rows: readonly Row[], options: SubmitOptions): Promise<Prediction> {
    const refusal = this.refusalOf(rows.length, options.maxWaitMs);
    if (refusal) return Promise.reject(refusal);
    const now = this.#now();
    const request = new PendingRequest(rows, options.timeoutMs, now);
    this.#metrics?.rowsTotal.inc({ model: this.#metrics.model, source: options.source }, rows.length);
    this.#batcher.enqueue(request);
    if (this.#metrics) this.#observe(request, options.source);
    return request.promise.then((results) => ({ results, modelVersion: request.modelVersion }));
  }

  /**
   * The error a request of `rows` rows would be refused with now (shutting
   * down, not ready, queue full, overloaded), counted as shed; `undefined`
   * when it would be taken. Admission only grows stricter with more rows, so
   * asked with one row it answers for every request whatever its size: the
   * HTTP front door asks so before reading a body (see `refuseBeforeBody`).
   */
  refusalOf(rows: number, maxWaitMs: number | undefined): GatewayError | undefined {
    const refusal = this.#admit(rows, maxWaitMs);
    if (refusal) this.#metrics?.shedTotal.inc({ model: this.#metrics.model, reason: refusal.code });
    return refusal;
  }

  /** Offers queued rows to workers; the pool calls this when a worker becomes ready. */
  drain(): void {
    this.#batcher.drain();
  }

  /** Sends later batches to `workers` (a reloaded model); running batches finish where they are. */
  useWorkers(workers: EngineWorkers): void {
    this.#workers = workers;
    this.#batcher.useWorkers(workers);
  }

  /**
   * Changes batching and admission settings while serving; returns the new
   * state. Throws {@link ValidationError} (and changes nothing) when the
   * settings would contradict each other.
   */
  tune(changes: Partial<EngineSettings>): EngineState {
    const next = { ...this.#settings, ...changes };
    const issues: FieldIssue[] = [];
    if (next.maxBatchRows > next.maxQueueRows) {
      issues.push({ field: changes.maxBatchRows === undefined ? 'maxQueueRows' : 'maxBatchRows', reason: `maxBatchRows (${next.maxBatchRows}) must not exceed maxQueueRows (${next.maxQueueRows})` });
    }
    if (next.maxQueueRows < this.#maxRequestRows) {
      issues.push({ field: 'maxQueueRows', reason: `must be at least maxRequestRows (${this.#maxRequestRows}), or the largest request allowed could never be admitted` });
    }
    if (issues.length > 0) throw new ValidationError(issues);
    Object.assign(this.#settings, changes);
    this.#batcher.refresh();
    return this.state;
  }

  get state(): EngineState {
    return {
      settings: { ...this.#settings },
      batchCap: this.#batcher.batchCap,
      cost: this.#cost.fit,
      objectiveFeasible: this.#batcher.objectiveFeasible,
      objectiveInfeasibleReason: this.#batcher.objectiveInfeasibleReason,
      queuedRows: this.#batcher.queuedRows,
      inFlightBatches: this.#batcher.inFlightBatches,
    };
  }

  get queuedRows(): number {
    return this.#batcher.queuedRows;
  }

  get inFlightBatches(): number {
    return this.#batcher.inFlightBatches;
  }

  get batchCap(): number {
    return this.#batcher.batchCap;
  }

  /** Refuses new work and resolves once everything accepted has been answered. */
  close(): Promise<void> {
    this.#closing = true;
    if (this.#batcher.inFlightBatches === 0 && this.#batcher.queuedRows === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #admit(rows: number, maxWaitMs: number | undefined): GatewayError | undefined {
    if (this.#closing) return new ShuttingDownError();
    const ready = this.#workers.readyCount;
    if (ready === 0 && this.#workers.recovering !== true) {
      const why = this.#workers.lastStartError?.message;
      return new NotReadyError(why ? `no model worker is ready: ${why}` : 'no model worker is ready yet');
    }
    const queued = this.#batcher.queuedRows;
    const { maxQueueRows, maxBatchRows, latencySloMs } = this.#settings;
    // Not retriable: however long the caller waits, this request never fits.
    if (rows > maxQueueRows) return new TooManyRowsError(rows, maxQueueRows);
    if (queued + rows > maxQueueRows) return new QueueFullError(queued, maxQueueRows);
    const objectiveMs = maxWaitMs ?? latencySloMs;
    if (objectiveMs === undefined) return undefined;
    const refusal = admissionRefusal({
      rows,
      queuedRows: queued,
      readyWorkers: ready,
      inFlightBatches: this.#batcher.inFlightBatches,
      fit: this.#cost.fit,
      maxBatchRows,
      latencySloMs,
      objectiveFeasible: this.#batcher.objectiveFeasible,
      maxWaitMs: objectiveMs,
    });
    return refusal && new OverloadedError(refusal.predictedMs, refusal.objectiveMs);
  }

  #reportFeasibility({ feasible, reason, oneRowMs, efficiency }: FeasibilityChange): void {
    const { latencySloMs, latencySloMaxCost } = this.#settings;
    const detail = { objectiveMs: latencySloMs, latencySloMaxCost, oneRowBatchMs: Math.round(oneRowMs), objectiveEfficiency: Math.round(efficiency * 100) / 100 };
    if (feasible) this.#logger?.info(detail, 'latency objective can be met again: batches capped to fit it');
    else this.#logger?.warn(detail, `latency objective cannot be met by this model here now (${infeasibleBecause(reason!, latencySloMaxCost)}): batching for throughput, refusing only work beyond the next round of batches`);
  }

  #observe(request: PendingRequest, source: Source): void {
    const metrics = this.#metrics!;
    const labels = { model: metrics.model, source, code: 'ok' };
    request.promise.then(
      () => metrics.requestDuration.observe(labels, (this.#now() - request.acceptedAt) / 1000),
      (error: GatewayError) => metrics.requestDuration.observe({ ...labels, code: error.code }, (this.#now() - request.acceptedAt) / 1000),
    );
  }

  #notifyIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
