import type { Logger } from 'pino';
import { WorkerStartError } from '../../errors.js';
import type { BatchWorker } from '../../engine/batcher.js';
import type { BackendPool } from '../model-backend.js';
import { leastInFlight } from '../least-in-flight.js';
import { restartBackoffMs } from '../restart-backoff.js';
import { OnnxThread } from './onnx-thread.js';
import type { SessionThreadData } from './session-thread.js';

export interface OnnxThreadPoolOptions {
  readonly size: number;
  /** What every thread loads: called once, when the pool starts (it reads the graph and checks the mapping). */
  readonly load: () => Promise<SessionThreadData>;
  readonly version: string;
  readonly startTimeoutMs: number;
  /** The thread module, for tests that wrap it. */
  readonly filename?: URL;
  /** Refuse to start when `size` sessions would not fit (measured on the first one). */
  readonly memoryLimitBytes?: number | undefined;
  readonly logger: Logger;
  readonly onWorkerReady?: () => void;
  readonly onWorkerRestart?: () => void;
  /** A thread that stayed up this long resets its slot's backoff. */
  readonly stableAfterMs?: number;
  readonly stopGraceMs?: number;
}

const MAX_IN_FLIGHT_PER_THREAD = 1;

/**
 * N worker threads, each with its own onnxruntime session, as the engine
 * sees any pool: it picks an idle thread for each batch (one batch per
 * thread, so batches grow in the engine's queue, not in piscina's). A thread
 * that ended running a batch is replaced at once (the engine is retrying the
 * batch already); one that ended before it was ready, or idle, with backoff.
 */
export class OnnxThreadPool implements BackendPool {
  #options: OnnxThreadPoolOptions;
  #threads: (OnnxThread | undefined)[];
  #failures: number[];
  #restartTimers = new Set<NodeJS.Timeout>();
  #retiring = new Set<Promise<unknown>>();
  #stopping = false;
  #starting = false;
  #lastStartError: WorkerStartError | undefined;
  #sessionBytes: number | undefined;
  #data: SessionThreadData | undefined;
  /** Threads spawned so far: a session's memory is measured only when no other thread loaded meanwhile. */
  #spawns = 0;

  constructor(options: OnnxThreadPoolOptions) {
    this.#options = options;
    this.#threads = new Array<OnnxThread | undefined>(options.size).fill(undefined);
    this.#failures = new Array<number>(options.size).fill(0);
  }

  /**
   * Loads the first thread's session alone (so its memory is measured, and
   * checked against the limit before more are loaded), then the others together.
   */
  async start(): Promise<void> {
    this.#starting = true;
    try {
      this.#data = await this.#options.load();
      await this.#spawn(0).started;
      this.#checkMemory(this.#threads.length);
      await Promise.all(this.#threads.map((_, slot) => (slot === 0 ? undefined : this.#spawn(slot).started)));
    } catch (error) {
      await this.stop();
      throw error;
    } finally {
      this.#starting = false;
    }
  }

  pick(): BatchWorker | undefined {
    return leastInFlight(this.#threads, MAX_IN_FLIGHT_PER_THREAD);
  }

  get version(): string {
    return this.#options.version;
  }

  get size(): number {
    return this.#threads.length;
  }

  get readyCount(): number {
    let ready = 0;
    for (const thread of this.#threads) if (thread?.state === 'ready') ready += 1;
    return ready;
  }

  get recovering(): boolean {
    if (this.#lastStartError !== undefined || this.#stopping) return false;
    return this.#restartTimers.size > 0 || this.#threads.some((t) => t?.state === 'starting');
  }

  get lastStartError(): WorkerStartError | undefined {
    return this.#lastStartError;
  }

  /** Resident memory one thread's session holds: the process's growth while the first one loaded alone. */
  get workerMemoryBytes(): number | undefined {
    return this.#sessionBytes;
  }

  resize(size: number): void {
    if (this.#stopping || size === this.#threads.length) return;
    if (size > this.#threads.length && this.#data === undefined) {
      // Not started yet: start() spawns every slot.
      this.#threads.length = size;
      this.#failures.length = size;
      this.#threads.fill(undefined);
      this.#failures.fill(0);
      return;
    }
    if (size > this.#threads.length) {
      try {
        this.#checkMemory(size);
      } catch (error) {
        this.#options.logger.error({ err: error, threads: size }, 'not resizing');
        return;
      }
      for (let slot = this.#threads.length; slot < size; slot++) {
        this.#threads.push(undefined);
        this.#failures.push(0);
        this.#spawn(slot);
      }
      return;
    }
    const removed = this.#threads.splice(size);
    this.#failures.splice(size);
    for (const thread of removed) {
      if (!thread) continue;
      const stopped = thread.stop(this.#options.stopGraceMs ?? 5_000);
      this.#retiring.add(stopped);
      void stopped.finally(() => this.#retiring.delete(stopped));
    }
  }

  kill(): void {
    this.#stopping = true;
    for (const thread of this.#threads) thread?.kill();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    for (const timer of this.#restartTimers) clearTimeout(timer);
    this.#restartTimers.clear();
    const grace = this.#options.stopGraceMs ?? 5_000;
    await Promise.all([...this.#threads.map((t) => t?.stop(grace)), ...this.#retiring]);
  }

  #checkMemory(threads: number): void {
    const limit = this.#options.memoryLimitBytes;
    if (limit === undefined || this.#sessionBytes === undefined) return;
    const needed = threads * this.#sessionBytes;
    if (needed > limit) {
      const mb = (bytes: number): string => `${Math.round(bytes / 1e6)} MB`;
      throw new WorkerStartError(
        `${threads} worker threads need about ${mb(needed)} (${mb(this.#sessionBytes)} per session, measured on the first) but onnx.memoryLimitMb is ${mb(limit)}: use at most ${Math.max(1, Math.floor(limit / this.#sessionBytes))} threads`,
      );
    }
  }

  #spawn(slot: number): OnnxThread {
    const logger = this.#options.logger.child({ worker: slot });
    const { version, startTimeoutMs, filename } = this.#options;
    const aloneAtSpawn = !this.#threads.some((t) => t?.state === 'starting');
    const spawn = ++this.#spawns;
    const thread = new OnnxThread({ slot, logger, version, startTimeoutMs, workerData: this.#data!, ...(filename === undefined ? {} : { filename }) });
    this.#threads[slot] = thread;
    let wasReady = false;
    thread.started.then(
      (hello) => {
        wasReady = true;
        this.#lastStartError = undefined;
        // Process memory grew by one session only if no other thread loaded at the same time (start() loads the first alone).
        if (aloneAtSpawn && spawn === this.#spawns) this.#sessionBytes = hello.rssGrowthBytes;
        logger.info({ threadId: hello.threadId, loadMs: Math.round(hello.loadMs), sessionRssMb: Math.round(hello.rssGrowthBytes / 1e6) }, 'worker thread ready');
        this.#options.onWorkerReady?.();
      },
      (error: WorkerStartError) => {
        this.#lastStartError = error;
      },
    );
    void thread.exited.then((exit) => {
      if (this.#stopping || this.#threads[slot] !== thread) return;
      if (this.#starting && !wasReady) return;
      const diedInBatch = exit.batchesLost > 0;
      const stable = thread.uptimeMs() >= (this.#options.stableAfterMs ?? 10_000);
      if (stable) this.#failures[slot] = 0;
      else if (!diedInBatch) this.#failures[slot] = this.#failures[slot]! + 1;
      const delay = diedInBatch ? 0 : restartBackoffMs(Math.max(0, this.#failures[slot]! - 1));
      logger.warn({ reason: exit.reason, batchesLost: exit.batchesLost, restartInMs: delay }, 'worker thread ended; restarting');
      const timer = setTimeout(() => {
        this.#restartTimers.delete(timer);
        if (this.#stopping || this.#threads[slot] !== thread) return;
        this.#options.onWorkerRestart?.();
        this.#spawn(slot);
      }, delay);
      this.#restartTimers.add(timer);
    });
    return thread;
  }
}
