import { BatchTimeoutError, DeadlineExceededError, GatewayError, InternalError, ModelError, PoisonRowError } from '../errors.js';
import type { Result, Row } from '../model/row-schema.js';
import { batchCap } from './batch-cap.js';
import { checkResults, invalidResults, type ResultCheck } from './check-results.js';
import type { CostModel } from './cost-model.js';
import { ObjectiveFeasibility, type FeasibilityChange, type InfeasibleReason } from './objective-feasibility.js';
import { halve, sliceRows } from './halve.js';
import type { PendingRequest } from './pending-request.js';
import { splitBatch, type Slice } from './slice.js';

/** A worker able to take one batch now. */
export interface BatchWorker {
  /** The model version this worker serves. */
  readonly version: string;
  run(rows: readonly Row[]): Promise<Result[]>;
  /** Kills the process (its running batch then fails with a worker-exited error). */
  kill(): void;
}

/** Where the batcher finds an idle worker; `undefined` means all are busy. */
export interface WorkerSource {
  pick(): BatchWorker | undefined;
}

/** Why a failed batch is run again. */
export type RetryReason = 'crash' | 'timeout' | 'model_error';

/** What the batcher reports, for metrics. */
export interface BatcherHooks {
  onDispatch?(rows: number, slices: readonly Slice[], now: number, predictedMs: number | undefined): void;
  onBatchDone?(rows: number, durationMs: number, error: GatewayError | undefined, version: string): void;
  onExpired?(request: PendingRequest): void;
  /** A failed batch's live rows were queued again (split in two when more than one). */
  onRetry?(reason: RetryReason, rows: number): void;
  /** A single row was refused because it alone fails or kills the model. */
  onPoison?(error: GatewayError): void;
  /** Nothing queued and nothing at a worker. */
  onIdle?(): void;
  /** The objective turned infeasible (with why) or feasible again; see {@link ObjectiveFeasibility}. */
  onFeasibilityChange?(change: FeasibilityChange): void;
}

/** The batching knobs; all may be changed while serving. */
export interface BatchSettings {
  /** Hard cap on rows per batch. */
  maxBatchRows: number;
  /** Latency objective: batches are capped so one takes at most half of it. */
  latencySloMs: number | undefined;
  /**
   * The most throughput (a share, 0–1) honouring the objective may cost: when
   * the batches that fit it would serve less than `1 −` this of what full
   * batches do, it counts as infeasible (see {@link ObjectiveFeasibility}).
   */
  latencySloMaxCost: number;
  /** Longest an idle worker may hold back a partial batch (0: never). */
  maxBatchWaitMs: number;
  /** Least time a batch may run before its worker is deemed hung. */
  batchTimeoutFloorMs: number;
}

export interface BatcherOptions {
  readonly settings: BatchSettings;
  readonly workers: WorkerSource;
  readonly cost: CostModel;
  readonly hooks?: BatcherHooks;
  readonly now?: () => number;
  /** Checks each result against the model's declared output; a result that breaks it fails its row alone. */
  readonly checkResult?: ResultCheck | undefined;
}

// Compact the queue array once this many consumed slots sit at its head.
const COMPACT_AFTER = 1024;
// A batch may run this many times its predicted cost before its worker is deemed hung.
const HANG_FACTOR = 10;
// A single row that crashes (or hangs) the worker this many times is refused.
export const MAX_CRASHES_PER_ROW = 3;
// After a batch finishes, an idle worker may wait this fraction of a batch's fixed cost for its callers' next rows.
const COALESCE_FRACTION = 0.1;
// While the objective reads as infeasible and batches are full, one in this many is half the size (see #probed).
const PROBE_EVERY = 8;

/** Rows of a failed batch waiting to run again, as a batch of their own. */
interface Retry {
  readonly slices: Slice[];
  /** Times these rows, on their own, have crashed a worker. */
  readonly crashes: number;
}

/**
 * The work-conserving batcher. Whenever a worker is idle it takes everything
 * queued, up to the batch cap, so a lone request goes out at once and batches
 * grow only from what queues up while every worker is busy.
 *
 * The cap is `maxBatchRows`, lowered under a latency objective to what the
 * learned cost fits in half of it, but never below the size that amortises
 * the fixed cost of a batch (see {@link batchCap}).
 *
 * A failed batch is never failed whole: its live rows are split in two and
 * each half retried on its own, down to single rows, so only the rows that
 * fail the model (exception, crash or hang) get an error and every other row
 * its prediction.
 */
export class Batcher {
  readonly settings: BatchSettings;
  #queue: Slice[] = [];
  #head = 0;
  #queuedRows = 0;
  #retries: Retry[] = [];
  #workers: WorkerSource;
  #cost: CostModel;
  #hooks: BatcherHooks;
  #now: () => number;
  readonly #checkResult: ResultCheck | undefined;
  #inFlightBatches = 0;
  #waitTimer: NodeJS.Timeout | undefined;
  #feasibility = new ObjectiveFeasibility();
  #lastBatchDoneAt = Number.NEGATIVE_INFINITY;
  #fullBatches = 0;

  constructor(options: BatcherOptions) {
    this.settings = options.settings;
    this.#workers = options.workers;
    this.#cost = options.cost;
    this.#hooks = options.hooks ?? {};
    this.#now = options.now ?? (() => performance.now());
    this.#checkResult = options.checkResult;
  }

  /** Rows waiting for a worker (retries included), counting only requests still waiting for an answer. */
  get queuedRows(): number {
    return this.#queuedRows;
  }

  get inFlightBatches(): number {
    return this.#inFlightBatches;
  }

  /** Most rows the next batch may hold, given what is queued now. */
  get batchCap(): number {
    const { maxBatchRows, latencySloMs } = this.settings;
    return batchCap({ fit: this.#cost.fit, maxBatchRows, latencySloMs, backlogRows: this.#queuedRows, objectiveFeasible: this.#feasibility.current });
  }

  /** Whether the latency objective can be met now (`undefined`: no objective, or still learning). */
  get objectiveFeasible(): boolean | undefined {
    return this.#feasibility.current;
  }

  /** Why it cannot (`undefined` while it can, or is unknown). */
  get objectiveInfeasibleReason(): InfeasibleReason | undefined {
    return this.#feasibility.reason;
  }

  /** Re-reads the settings and the learned cost; call after changing `settings`. */
  refresh(): void {
    this.#updateFeasibility();
    this.drain();
  }

  #updateFeasibility(): void {
    const change = this.#feasibility.update(this.#cost.fit, this.settings.latencySloMs, this.settings.maxBatchRows, this.#now(), this.settings.latencySloMaxCost);
    if (change) this.#hooks.onFeasibilityChange?.(change);
  }

  /** Later batches go to these workers (batches already running finish where they are). */
  useWorkers(workers: WorkerSource): void {
    this.#workers = workers;
    this.drain();
  }

  enqueue(request: PendingRequest): void {
    this.#queue.push({ request, offset: 0, count: request.rows.length });
    this.#queued(request, request.rows.length);
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
    while (this.#retries.length > 0) {
      const worker = this.#workers.pick();
      if (worker === undefined) return;
      const retry = this.#retries.shift()!;
      const slices = this.#live(retry.slices, this.#now());
      for (const slice of slices) this.#dequeued(slice.request, slice.count);
      if (slices.length > 0) this.#dispatch(worker, slices, retry.crashes);
    }
    while (this.#queue.length > this.#head) {
      const worker = this.#workers.pick();
      if (worker === undefined) return;
      const now = this.#now();
      if (this.#holdForFullerBatch(now)) return;
      const slices = this.#take(now, this.#probed(this.batchCap));
      if (slices.length === 0) return;
      this.#dispatch(worker, slices, 0);
    }
  }

  /**
   * Whether an idle worker should wait for more rows. Only while another
   * batch is running (an idle machine gains nothing from waiting), and only
   * while the batch would still be mostly fixed cost (so waiting buys
   * throughput). It waits until the later of:
   * - `maxBatchWaitMs` after the oldest queued row arrived (when asked to);
   * - {@link COALESCE_FRACTION} of a batch's fixed cost after the last batch
   *   finished. Its callers are sending their next rows right now, and a
   *   worker that left without them would spend a whole fixed cost on a few
   *   rows while they queue for the next one. Without this, closed-loop
   *   callers of a model whose every batch costs the same split into more
   *   groups than there are workers, and the groups never merge again: half
   *   the throughput of the same callers in one group per worker.
   * Under an objective that can be met, the oldest row, sent after the wait
   * with what is queued now, must still be answered within it. (Under an
   * infeasible objective the wait is bounded as above: it buys throughput,
   * and no row was going to be answered within the objective anyway.)
   */
  #holdForFullerBatch(now: number): boolean {
    const { maxBatchWaitMs, latencySloMs } = this.settings;
    if (this.#inFlightBatches === 0) return false;
    const cap = this.batchCap;
    if (this.#queuedRows >= cap) return false;
    const fit = this.#cost.fit;
    if (fit === undefined || fit.fixedMs <= fit.perRowMs * this.#queuedRows) return false;
    const oldest = this.#oldestQueued(now);
    if (oldest === undefined) return false;
    const waitUntil = Math.max(oldest.acceptedAt + maxBatchWaitMs, this.#lastBatchDoneAt + COALESCE_FRACTION * fit.fixedMs);
    if (now >= waitUntil) return false;
    const sendMs = fit.fixedMs + fit.perRowMs * this.#queuedRows;
    if (latencySloMs !== undefined && this.#feasibility.current !== false && waitUntil - oldest.acceptedAt + sendMs > latencySloMs) return false;
    if (this.#waitTimer === undefined) {
      this.#waitTimer = setTimeout(() => {
        this.#waitTimer = undefined;
        this.drain();
      }, waitUntil - now);
      this.#waitTimer.unref();
    }
    return true;
  }

  /**
   * The cap, halved for one full batch in {@link PROBE_EVERY} while the
   * objective reads as infeasible.
   *
   * This is what keeps the infeasible state from locking by construction.
   * There batches are sized for throughput, so under sustained overload
   * every batch is full (`maxBatchRows`), and batches of about one size
   * cannot show what one row costs: the line keeps the shape it last learned
   * (see CostModel) or extrapolates its intercept from a thousand rows away.
   * After a slow cold start (a steep fixed cost) the one-row cost then stays
   * over half the objective, batches stay full, and nothing would ever show
   * otherwise while the overload lasts: accepted rows were answered a second
   * late where capped batches answer them in time. A half-size batch now and
   * then gives the line two sizes to fit, for at most 4 % of throughput
   * while it lasts (a model whose batch is all fixed cost, 150 ms + 0.1
   * ms/row: 3.90 rows/ms instead of 4.06; bench/RESULTS.md).
   * Only full batches are probed, so a closed loop whose queue is shorter
   * than the cap is never split.
   */
  #probed(cap: number): number {
    if (this.#feasibility.current !== false || this.#queuedRows < cap || cap < 2) return cap;
    this.#fullBatches += 1;
    return this.#fullBatches % PROBE_EVERY === 0 ? Math.floor(cap / 2) : cap;
  }

  #oldestQueued(now: number): PendingRequest | undefined {
    for (let i = this.#head; i < this.#queue.length; i++) {
      const { request } = this.#queue[i]!;
      if (!request.settled && now < request.deadline) return request;
    }
    return undefined;
  }

  /** Takes up to `cap` rows from the head of the queue, skipping settled and expired requests. */
  #take(now: number, cap: number): Slice[] {
    const slices: Slice[] = [];
    let room = cap;
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

  /** The slices whose requests still want an answer; requests past their deadline are failed here. */
  #live(slices: readonly Slice[], now: number): Slice[] {
    return slices.filter(({ request }) => {
      if (request.settled) return false;
      if (now < request.deadline) return true;
      request.fail(new DeadlineExceededError(request.timeoutMs));
      return false;
    });
  }

  #queued(request: PendingRequest, rows: number): void {
    request.queuedRows += rows;
    this.#queuedRows += rows;
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

  #dispatch(worker: BatchWorker, slices: Slice[], crashes: number): void {
    const rows = batchRows(slices);
    const startedAt = this.#now();
    for (const slice of slices) {
      if (slice.request.dispatchedAt === 0) slice.request.dispatchedAt = startedAt;
    }
    const predictedMs = this.#cost.predict(rows.length);
    this.#hooks.onDispatch?.(rows.length, slices, startedAt, predictedMs);
    this.#inFlightBatches += 1;

    // A batch far past its predicted cost is hung: replace the worker and
    // treat the batch as crashed (its rows are retried, bisected).
    const budgetMs = Math.max(this.settings.batchTimeoutFloorMs, HANG_FACTOR * (predictedMs ?? 0));
    let timedOut = false;
    const hangTimer = setTimeout(() => {
      timedOut = true;
      worker.kill();
    }, budgetMs);
    hangTimer.unref();

    worker.run(rows).then((answer) => checkResults(answer, rows.length)).then(
      (results) => {
        clearTimeout(hangTimer);
        this.#inFlightBatches -= 1;
        const finishedAt = this.#now();
        const durationMs = finishedAt - startedAt;
        this.#lastBatchDoneAt = finishedAt;
        this.#cost.observe(rows.length, durationMs, finishedAt);
        this.#updateFeasibility();
        this.#hooks.onBatchDone?.(rows.length, durationMs, undefined, worker.version);
        for (const slice of slices) slice.request.modelVersion = worker.version;
        splitBatch(slices, results, this.#checkResult === undefined ? undefined : invalidResults(results, this.#checkResult));
        this.drain();
        this.#notifyIfIdle();
      },
      (error: unknown) => {
        clearTimeout(hangTimer);
        this.#inFlightBatches -= 1;
        const failure = timedOut ? new BatchTimeoutError(budgetMs, rows.length) : asGatewayError(error);
        this.#hooks.onBatchDone?.(rows.length, this.#now() - startedAt, failure, worker.version);
        this.#retryOrFail(slices, failure, crashes);
        this.drain();
        this.#notifyIfIdle();
      },
    );
  }

  /**
   * Bisection: a failed batch of several rows is split in two and each half
   * queued as a batch of its own, ahead of new work. A single row that the
   * handler rejects gets that error at once; a single row whose batch crashed
   * or hung is tried again (the crash may have been another cause, such as a
   * worker killed from outside) and refused as poison after
   * {@link MAX_CRASHES_PER_ROW} crashes.
   */
  #retryOrFail(slices: readonly Slice[], failure: GatewayError, crashes: number): void {
    const live = this.#live(slices, this.#now());
    if (live.length === 0) return;
    const rows = sliceRows(live);
    const reason: RetryReason = failure instanceof ModelError ? 'model_error' : failure instanceof BatchTimeoutError ? 'timeout' : 'crash';
    if (rows > 1) {
      const [first, second] = halve(live);
      this.#requeue({ slices: first, crashes: 0 }, { slices: second, crashes: 0 });
      this.#hooks.onRetry?.(reason, rows);
      return;
    }
    const { request, offset: row } = live[0]!;
    if (reason === 'model_error') {
      this.#hooks.onPoison?.(failure);
      // The caller learns which of its rows failed (front doors name it, e.g. instances[2]).
      request.fail(failure instanceof ModelError ? failure.at({ row }) : failure);
      return;
    }
    if (crashes + 1 >= MAX_CRASHES_PER_ROW) {
      const poison = new PoisonRowError(crashes + 1, failure, { row });
      this.#hooks.onPoison?.(poison);
      request.fail(poison);
      return;
    }
    this.#requeue({ slices: live, crashes: crashes + 1 });
    this.#hooks.onRetry?.(reason, rows);
  }

  #requeue(...retries: Retry[]): void {
    for (const retry of retries) {
      for (const slice of retry.slices) this.#queued(slice.request, slice.count);
    }
    this.#retries.unshift(...retries);
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
