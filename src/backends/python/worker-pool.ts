import type { Logger } from 'pino';
import { WorkerStartError } from '../../errors.js';
import type { BatchWorker } from '../../engine/batcher.js';
import type { BackendPool } from '../model-backend.js';
import { leastInFlight } from '../least-in-flight.js';
import { PythonWorker, type PythonWorkerOptions } from './python-worker.js';
import { restartBackoffMs } from '../restart-backoff.js';

export interface WorkerPoolOptions {
  readonly size: number;
  readonly worker: Omit<PythonWorkerOptions, 'slot' | 'logger'>;
  readonly logger: Logger;
  /** Called whenever a worker becomes ready, so queued work can go to it. */
  readonly onWorkerReady?: () => void;
  readonly onWorkerRestart?: () => void;
  /** A worker that stayed up this long resets its slot's backoff. */
  readonly stableAfterMs?: number;
  readonly stopGraceMs?: number;
}

// One batch per worker: a second batch queued at the worker would wait there
// anyway, while waiting here lets it grow into a bigger batch.
const MAX_IN_FLIGHT_PER_WORKER = 1;

/**
 * N Python workers: started together, each replaced when it exits. A worker
 * that died running a batch (killed, out of memory, a poison row) is replaced
 * at once — the engine is already retrying its batch; one that dies before it
 * is ready, or idle, is restarted with backoff so a broken model cannot spin.
 */
export class WorkerPool implements BackendPool {
  #options: WorkerPoolOptions;
  #workers: (PythonWorker | undefined)[];
  #failures: number[];
  #restartTimers = new Set<NodeJS.Timeout>();
  #retiring = new Set<Promise<unknown>>();
  #stopping = false;
  /** True during start(): a worker that exits before it was ever ready fails the start rather than being restarted. */
  #starting = false;
  #lastStartError: WorkerStartError | undefined;
  /** Some worker of this pool has loaded the model. */
  #loadedOnce = false;

  constructor(options: WorkerPoolOptions) {
    this.#options = options;
    this.#workers = new Array<PythonWorker | undefined>(options.size).fill(undefined);
    this.#failures = new Array<number>(options.size).fill(0);
  }

  /** Starts every worker; rejects with the first {@link WorkerStartError} (and stops the rest). */
  async start(): Promise<void> {
    this.#starting = true;
    const started = this.#workers.map((_, slot) => this.#spawn(slot).started);
    try {
      await Promise.all(started);
    } catch (error) {
      await this.stop();
      throw error;
    } finally {
      this.#starting = false;
    }
  }

  /** The least-loaded ready worker with room for a batch, if any. */
  pick(): BatchWorker | undefined {
    return leastInFlight(this.#workers, MAX_IN_FLIGHT_PER_WORKER);
  }

  get version(): string {
    return this.#options.worker.version;
  }

  get size(): number {
    return this.#workers.length;
  }

  /** Read on every admission: counted without allocating. */
  get readyCount(): number {
    let ready = 0;
    for (const worker of this.#workers) if (worker?.state === 'ready') ready += 1;
    return ready;
  }

  /**
   * A worker is being replaced after a crash and the model has been loading
   * fine: work may queue for it rather than be refused.
   */
  get recovering(): boolean {
    if (this.#lastStartError !== undefined || this.#stopping) return false;
    return this.#restartTimers.size > 0 || this.#workers.some((w) => w?.state === 'starting');
  }

  /** Why no worker is ready, when that is the case. */
  get lastStartError(): WorkerStartError | undefined {
    return this.#lastStartError;
  }

  get pids(): number[] {
    return this.#workers.flatMap((w) => (w?.pid === undefined ? [] : [w.pid]));
  }

  /**
   * Grows or shrinks the pool while serving. New workers join when ready;
   * removed ones take no new batch, finish the one they run, then exit.
   */
  resize(size: number): void {
    if (this.#stopping || size === this.#workers.length) return;
    if (size > this.#workers.length) {
      const from = this.#workers.length;
      for (let slot = from; slot < size; slot++) {
        this.#workers.push(undefined);
        this.#failures.push(0);
        this.#spawn(slot);
      }
      return;
    }
    const removed = this.#workers.splice(size);
    this.#failures.splice(size);
    for (const worker of removed) {
      if (!worker) continue;
      const stopped = worker.stop(this.#options.stopGraceMs ?? 5_000);
      this.#retiring.add(stopped);
      void stopped.finally(() => this.#retiring.delete(stopped));
    }
  }

  /** Kills every worker at once, running batches and all (the shutdown grace period is over). */
  kill(): void {
    this.#stopping = true;
    for (const worker of this.#workers) worker?.kill();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    for (const timer of this.#restartTimers) clearTimeout(timer);
    this.#restartTimers.clear();
    const grace = this.#options.stopGraceMs ?? 5_000;
    await Promise.all([...this.#workers.map((w) => w?.stop(grace)), ...this.#retiring]);
  }

  #spawn(slot: number): PythonWorker {
    const logger = this.#options.logger.child({ worker: slot });
    const worker = new PythonWorker({ ...this.#options.worker, slot, logger });
    this.#workers[slot] = worker;
    let wasReady = false;
    worker.started.then(
      (ready) => {
        wasReady = true;
        this.#loadedOnce = true;
        this.#lastStartError = undefined;
        // `pid` is the gateway's own (the root logger's base): the worker's is workerPid.
        logger.info({ workerPid: ready.pid }, 'worker ready');
        this.#options.onWorkerReady?.();
      },
      (error: WorkerStartError) => {
        // A replacement killed from outside while loading (a busy machine makes
        // loading slow, and a crash test or the OOM killer may strike then) says
        // nothing against a model that has loaded before: keep recovering, so
        // work queues for the next attempt instead of being refused.
        if (error.killedFromOutside && this.#loadedOnce) return;
        this.#lastStartError = error;
      },
    );
    void worker.exited.then((exit) => {
      // Stopped, or removed by resize(): not to be replaced.
      if (this.#stopping || this.#workers[slot] !== worker) return;
      // start() rejects with this worker's WorkerStartError and stops the pool: "restarting" would be untrue.
      if (this.#starting && !wasReady) return;
      const diedInBatch = exit.batchesLost > 0;
      const stable = worker.uptimeMs() >= (this.#options.stableAfterMs ?? 10_000);
      if (stable) this.#failures[slot] = 0;
      else if (!diedInBatch) this.#failures[slot] = this.#failures[slot]! + 1;
      const delay = diedInBatch ? 0 : restartBackoffMs(Math.max(0, this.#failures[slot]! - 1));
      logger.warn({ workerPid: worker.pid, code: exit.code, signal: exit.signal, batchesLost: exit.batchesLost, restartInMs: delay }, 'worker exited; restarting');
      const timer = setTimeout(() => {
        this.#restartTimers.delete(timer);
        if (this.#stopping || this.#workers[slot] !== worker) return;
        this.#options.onWorkerRestart?.();
        this.#spawn(slot);
      }, delay);
      this.#restartTimers.add(timer);
    });
    return worker;
  }
}
