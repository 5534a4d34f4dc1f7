import type { Logger } from 'pino';
import type { WorkerStartError } from '../errors.js';
import type { BatchWorker } from '../engine/batcher.js';
import { leastInFlight, type Loaded } from './least-in-flight.js';
import type { BackendPool } from './model-backend.js';
import { restartBackoffMs } from './restart-backoff.js';

/** What a pool slot holds, whatever runs it (a Python process, a worker thread). */
export interface SlotWorker<Ready, Exit extends { readonly batchesLost: number }> extends BatchWorker, Loaded {
  /** Resolves when the worker is ready for batches; rejects with a WorkerStartError when it cannot start. */
  readonly started: Promise<Ready>;
  /** Resolves once it has ended, for whatever reason. */
  readonly exited: Promise<Exit>;
  uptimeMs(): number;
  /** Takes no new batch, finishes the one it runs (within `graceMs`), then ends. */
  stop(graceMs: number): Promise<unknown>;
}

export interface SlotPoolOptions {
  readonly size: number;
  readonly logger: Logger;
  /** Called whenever a worker becomes ready, so queued work can go to it. */
  readonly onWorkerReady?: (() => void) | undefined;
  readonly onWorkerRestart?: (() => void) | undefined;
  /** A worker that stayed up this long resets its slot's backoff. */
  readonly stableAfterMs?: number | undefined;
  readonly stopGraceMs?: number | undefined;
}

// One batch per worker: a second batch queued at the worker would wait there
// anyway, while waiting in the engine lets it grow into a bigger batch.
const MAX_IN_FLIGHT_PER_WORKER = 1;

/**
 * N workers in numbered slots, as the engine sees any pool: it picks the
 * least-loaded ready worker for each batch. Each worker is replaced when it
 * ends. One that ended running a batch (killed, out of memory, a poison row)
 * is replaced at once, since the engine is already retrying its batch; one
 * that ended before it was ready, or idle, is restarted with backoff so a
 * broken model cannot spin. A backend says only how to make a slot's worker
 * and what to log: the Python worker pool and the ONNX thread pool are this.
 */
export abstract class SlotPool<Ready, Exit extends { readonly batchesLost: number }, W extends SlotWorker<Ready, Exit>> implements BackendPool {
  protected readonly options: SlotPoolOptions;
  protected readonly workers: (W | undefined)[];
  #failures: number[];
  #restartTimers = new Set<NodeJS.Timeout>();
  #retiring = new Set<Promise<unknown>>();
  #stopping = false;
  /** True during start(): a worker that exits before it was ever ready fails the start rather than being restarted. */
  protected starting = false;
  protected startError: WorkerStartError | undefined;

  constructor(options: SlotPoolOptions) {
    this.options = options;
    this.workers = new Array<W | undefined>(options.size).fill(undefined);
    this.#failures = new Array<number>(options.size).fill(0);
  }

  abstract get version(): string;

  /** Makes (and starts) the worker of a slot. */
  protected abstract create(slot: number, logger: Logger): W;

  /** A worker became ready: log it (and note what the backend wants to know). */
  protected abstract ready(worker: W, value: Ready, logger: Logger): void;

  /** The fields and message of the log line when a worker ended and is being replaced. */
  protected abstract exitLine(worker: W, exit: Exit): { readonly fields: Record<string, unknown>; readonly msg: string };

  /** A worker could not start: by default, it is why no worker is ready. */
  protected startFailed(error: WorkerStartError): void {
    this.startError = error;
  }

  /** Starts every worker; rejects with the first {@link WorkerStartError} (and stops the rest). */
  async start(): Promise<void> {
    this.starting = true;
    try {
      await this.startSlots();
    } catch (error) {
      await this.stop();
      throw error;
    } finally {
      this.starting = false;
    }
  }

  /** Spawns every slot and waits for all of them (a backend may stage this). */
  protected async startSlots(): Promise<void> {
    await Promise.all(this.workers.map((_, slot) => this.spawn(slot).started));
  }

  /** The least-loaded ready worker with room for a batch, if any. */
  pick(): BatchWorker | undefined {
    return leastInFlight(this.workers, MAX_IN_FLIGHT_PER_WORKER);
  }

  get size(): number {
    return this.workers.length;
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /** Read on every admission: counted without allocating. */
  get readyCount(): number {
    let ready = 0;
    for (const worker of this.workers) if (worker?.state === 'ready') ready += 1;
    return ready;
  }

  /**
   * A worker is being replaced after a crash and the model has been loading
   * fine: work may queue for it rather than be refused.
   */
  get recovering(): boolean {
    if (this.startError !== undefined || this.#stopping) return false;
    return this.#restartTimers.size > 0 || this.workers.some((w) => w?.state === 'starting');
  }

  /** Why no worker is ready, when that is the case. */
  get lastStartError(): WorkerStartError | undefined {
    return this.startError;
  }

  /**
   * Grows or shrinks the pool while serving. New workers join when ready;
   * removed ones take no new batch, finish the one they run, then end.
   */
  resize(size: number): void {
    if (this.#stopping || size === this.workers.length) return;
    if (size > this.workers.length) {
      const from = this.workers.length;
      this.reserveSlots(size);
      for (let slot = from; slot < size; slot++) this.spawn(slot);
      return;
    }
    const removed = this.workers.splice(size);
    this.#failures.splice(size);
    for (const worker of removed) {
      if (!worker) continue;
      const stopped = worker.stop(this.options.stopGraceMs ?? 5_000);
      this.#retiring.add(stopped);
      void stopped.finally(() => this.#retiring.delete(stopped));
    }
  }

  /** Adds empty slots up to `size`, spawning nothing (start() or resize() fills them). */
  protected reserveSlots(size: number): void {
    while (this.workers.length < size) {
      this.workers.push(undefined);
      this.#failures.push(0);
    }
  }

  /** Kills every worker at once, running batches and all (the shutdown grace period is over). */
  kill(): void {
    this.#stopping = true;
    for (const worker of this.workers) worker?.kill();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    for (const timer of this.#restartTimers) clearTimeout(timer);
    this.#restartTimers.clear();
    const grace = this.options.stopGraceMs ?? 5_000;
    await Promise.all([...this.workers.map((w) => w?.stop(grace)), ...this.#retiring]);
  }

  protected spawn(slot: number): W {
    const logger = this.options.logger.child({ worker: slot });
    const worker = this.create(slot, logger);
    this.workers[slot] = worker;
    let wasReady = false;
    worker.started.then(
      (value) => {
        wasReady = true;
        this.startError = undefined;
        this.ready(worker, value, logger);
        this.options.onWorkerReady?.();
      },
      (error: WorkerStartError) => this.startFailed(error),
    );
    void worker.exited.then((exit) => {
      // Stopped, or removed by resize(): not to be replaced.
      if (this.#stopping || this.workers[slot] !== worker) return;
      // start() rejects with this worker's WorkerStartError and stops the pool: "restarting" would be untrue.
      if (this.starting && !wasReady) return;
      const diedInBatch = exit.batchesLost > 0;
      const stable = worker.uptimeMs() >= (this.options.stableAfterMs ?? 10_000);
      if (stable) this.#failures[slot] = 0;
      else if (!diedInBatch) this.#failures[slot] = this.#failures[slot]! + 1;
      const delay = diedInBatch ? 0 : restartBackoffMs(Math.max(0, this.#failures[slot]! - 1));
      const line = this.exitLine(worker, exit);
      logger.warn({ ...line.fields, batchesLost: exit.batchesLost, restartInMs: delay }, line.msg);
      const timer = setTimeout(() => {
        this.#restartTimers.delete(timer);
        if (this.#stopping || this.workers[slot] !== worker) return;
        this.options.onWorkerRestart?.();
        this.spawn(slot);
      }, delay);
      this.#restartTimers.add(timer);
    });
    return worker;
  }
}
