import { GatewayError, NotReadyError, QueueFullError, ShuttingDownError } from '../errors.js';
import type { GatewayMetrics, Source } from '../metrics/metrics.js';
import type { Result, Row } from '../model/row-schema.js';
import { Batcher, type WorkerSource } from './batcher.js';
import { PendingRequest } from './pending-request.js';

/** The pool as the engine sees it. */
export interface EngineWorkers extends WorkerSource {
  readonly readyCount: number;
  readonly lastStartError?: Error | undefined;
}

export interface EngineOptions {
  readonly maxBatchRows: number;
  readonly maxQueueRows: number;
  readonly workers: EngineWorkers;
  readonly metrics?: GatewayMetrics;
  readonly now?: () => number;
}

export interface SubmitOptions {
  /** Milliseconds from now after which the rows must not reach the model. */
  readonly timeoutMs: number;
  readonly source: Source;
}

/**
 * The one entry point of both front doors: admission control, then the
 * batcher, then the workers. Front doors hand rows in and get results (in the
 * same order) or a typed error out; they never see a worker.
 */
export class Engine {
  #batcher: Batcher;
  #workers: EngineWorkers;
  #maxQueueRows: number;
  #metrics: GatewayMetrics | undefined;
  #now: () => number;
  #closing = false;
  #idleWaiters: (() => void)[] = [];

  constructor(options: EngineOptions) {
    this.#workers = options.workers;
    this.#maxQueueRows = options.maxQueueRows;
    this.#metrics = options.metrics;
    this.#now = options.now ?? (() => performance.now());
    const metrics = this.#metrics;
    const model = metrics?.model ?? '';
    this.#batcher = new Batcher({
      maxBatchRows: options.maxBatchRows,
      workers: options.workers,
      now: this.#now,
      hooks: {
        onDispatch: (rows, slices, now) => {
          if (!metrics) return;
          metrics.batchRows.observe({ model }, rows);
          for (const slice of slices) {
            if (slice.offset === 0) metrics.queueWait.observe({ model }, (now - slice.request.acceptedAt) / 1000);
          }
        },
        onBatchDone: (_rows, durationMs, error) => {
          metrics?.batchDuration.observe({ model, outcome: error ? error.code : 'ok' }, durationMs / 1000);
        },
        onExpired: () => metrics?.expiredTotal.inc({ model }),
        onIdle: () => this.#notifyIdle(),
      },
    });
  }

  /** Predicts `rows`; resolves with one result per row, in order, or rejects with a {@link GatewayError}. */
  submit(rows: readonly Row[], options: SubmitOptions): Promise<Result[]> {
    const refusal = this.#admit(rows.length);
    if (refusal) {
      this.#metrics?.shedTotal.inc({ model: this.#metrics.model, reason: refusal.code });
      return Promise.reject(refusal);
    }
    const now = this.#now();
    const request = new PendingRequest(rows, options.timeoutMs, now);
    this.#metrics?.rowsTotal.inc({ model: this.#metrics.model, source: options.source }, rows.length);
    this.#batcher.enqueue(request);
    if (this.#metrics) this.#observe(request, options.source);
    return request.promise;
  }

  /** Offers queued rows to workers; the pool calls this when a worker becomes ready. */
  drain(): void {
    this.#batcher.drain();
  }

  get queuedRows(): number {
    return this.#batcher.queuedRows;
  }

  get inFlightBatches(): number {
    return this.#batcher.inFlightBatches;
  }

  get maxBatchRows(): number {
    return this.#batcher.maxBatchRows;
  }

  /** Refuses new work and resolves once everything accepted has been answered. */
  close(): Promise<void> {
    this.#closing = true;
    if (this.#batcher.inFlightBatches === 0 && this.#batcher.queuedRows === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #admit(rows: number): GatewayError | undefined {
    if (this.#closing) return new ShuttingDownError();
    if (this.#workers.readyCount === 0) {
      const why = this.#workers.lastStartError?.message;
      return new NotReadyError(why ? `no model worker is ready: ${why}` : 'no model worker is ready yet');
    }
    const queued = this.#batcher.queuedRows;
    if (queued + rows > this.#maxQueueRows) return new QueueFullError(queued, this.#maxQueueRows);
    return undefined;
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
