import { DeadlineExceededError, GatewayError, InternalError } from '../errors.js';
import type { Result, Row } from '../model/row-schema.js';
import type { PendingRequest } from './pending-request.js';
import { splitBatch, type Slice } from './slice.js';

/** A worker able to take one batch now. */
export interface BatchWorker {
  run(rows: readonly Row[]): Promise<Result[]>;
}

/** Where the batcher finds an idle worker; `undefined` means all are busy. */
export interface WorkerSource {
  pick(): BatchWorker | undefined;
}

/** What the batcher reports, for metrics. */
export interface BatcherHooks {
  onDispatch?(rows: number, slices: readonly Slice[], now: number): void;
  onBatchDone?(rows: number, durationMs: number, error: GatewayError | undefined): void;
  onExpired?(request: PendingRequest): void;
  /** Nothing queued and nothing at a worker. */
  onIdle?(): void;
}

export interface BatcherOptions {
  readonly maxBatchRows: number;
  readonly workers: WorkerSource;
  readonly hooks?: BatcherHooks;
  readonly now?: () => number;
}

// Compact the queue array once this many consumed slots sit at its head.
const COMPACT_AFTER = 1024;

/**
 * The work-conserving batcher. There is no wait timer: whenever a worker is
 * idle it takes everything queued, up to `maxBatchRows` rows. A lone request
 * therefore goes out at once, and batches grow only from what queues up while
 * every worker is busy — batch size follows load by itself.
 */
export class Batcher {
  #queue: Slice[] = [];
  #head = 0;
  #queuedRows = 0;
  #maxBatchRows: number;
  #workers: WorkerSource;
  #hooks: BatcherHooks;
  #now: () => number;
  #inFlightBatches = 0;

  constructor(options: BatcherOptions) {
    this.#maxBatchRows = options.maxBatchRows;
    this.#workers = options.workers;
    this.#hooks = options.hooks ?? {};
    this.#now = options.now ?? (() => performance.now());
  }

  /** Rows waiting for a worker, counting only requests still waiting for an answer. */
  get queuedRows(): number {
    return this.#queuedRows;
  }

  get inFlightBatches(): number {
    return this.#inFlightBatches;
  }

  get maxBatchRows(): number {
    return this.#maxBatchRows;
  }

  set maxBatchRows(rows: number) {
    this.#maxBatchRows = rows;
  }

  enqueue(request: PendingRequest): void {
    this.#queue.push({ request, offset: 0, count: request.rows.length });
    request.queuedRows = request.rows.length;
    this.#queuedRows += request.rows.length;
    request.onSettle = this.#onSettle;
    this.drain();
  }

  // A request that settles early (deadline, or another of its slices failed)
  // leaves its slices in the array to be skipped, but its rows stop counting
  // at once: admission and the queue-depth gauge see only live work.
  #onSettle = (request: PendingRequest, error: GatewayError | undefined): void => {
    // Rows still queued at the deadline never reach the model: that is an expiry.
    if (error instanceof DeadlineExceededError && request.queuedRows > 0) this.#hooks.onExpired?.(request);
    this.#queuedRows -= request.queuedRows;
    request.queuedRows = 0;
    // Deferred: a request can settle in the middle of #take, while the slices
    // already taken are counted neither as queued nor as in flight.
    queueMicrotask(() => this.#notifyIfIdle());
  };

  #notifyIfIdle(): void {
    if (this.#queuedRows === 0 && this.#inFlightBatches === 0) this.#hooks.onIdle?.();
  }

  /** Dispatches queued rows to idle workers until one or the other runs out. */
  drain(): void {
    while (this.#queue.length > this.#head) {
      const worker = this.#workers.pick();
      if (worker === undefined) return;
      const slices = this.#take(this.#now());
      if (slices.length === 0) return;
      this.#dispatch(worker, slices);
    }
  }

  /** Takes up to `maxBatchRows` rows from the head of the queue, skipping settled and expired requests. */
  #take(now: number): Slice[] {
    const slices: Slice[] = [];
    let room = this.#maxBatchRows;
    while (room > 0 && this.#head < this.#queue.length) {
      const slice = this.#queue[this.#head]!;
      const { request } = slice;
      if (request.settled || now >= request.deadline) {
        this.#head += 1;
        // Not yet settled: its timer has not fired, but the deadline has passed.
        if (!request.settled) request.fail(new DeadlineExceededError(request.timeoutMs));
        continue;
      }
      if (slice.count <= room) {
        slices.push(slice);
        room -= slice.count;
        this.#head += 1;
        this.#dequeued(request, slice.count);
      } else {
        // Fill the batch with the front of a big request; the rest stays at the head.
        slices.push({ request, offset: slice.offset, count: room });
        this.#queue[this.#head] = { request, offset: slice.offset + room, count: slice.count - room };
        this.#dequeued(request, room);
        room = 0;
      }
    }
    this.#compact();
    return slices;
  }

  #dequeued(request: PendingRequest, rows: number): void {
    request.queuedRows -= rows;
    this.#queuedRows -= rows;
  }

  #compact(): void {
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #dispatch(worker: BatchWorker, slices: Slice[]): void {
    const rows = batchRows(slices);
    const startedAt = this.#now();
    for (const slice of slices) {
      if (slice.request.dispatchedAt === 0) slice.request.dispatchedAt = startedAt;
    }
    this.#hooks.onDispatch?.(rows.length, slices, startedAt);
    this.#inFlightBatches += 1;
    worker.run(rows).then(
      (results) => {
        this.#inFlightBatches -= 1;
        this.#hooks.onBatchDone?.(rows.length, this.#now() - startedAt, undefined);
        splitBatch(slices, results);
        this.drain();
        this.#notifyIfIdle();
      },
      (error: unknown) => {
        this.#inFlightBatches -= 1;
        const failure = asGatewayError(error);
        this.#hooks.onBatchDone?.(rows.length, this.#now() - startedAt, failure);
        for (const slice of slices) slice.request.fail(failure);
        this.drain();
        this.#notifyIfIdle();
      },
    );
  }
}

function batchRows(slices: readonly Slice[]): readonly Row[] {
  if (slices.length === 1) {
    const only = slices[0]!;
    if (only.offset === 0 && only.count === only.request.rows.length) return only.request.rows;
  }
  const rows: Row[] = [];
  for (const { request, offset, count } of slices) {
    for (let i = offset; i < offset + count; i++) rows.push(request.rows[i]!);
  }
  return rows;
}

function asGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  return new InternalError('batch failed unexpectedly', { cause: error });
}
