import type { Logger } from 'pino';
import { WorkerStartError } from '../../errors.js';
import { SlotPool } from '../slot-pool.js';
import { OnnxThread, type ThreadExit } from './onnx-thread.js';
import type { SessionHello, SessionThreadData } from './session-thread.js';

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

/**
 * N worker threads, each with its own onnxruntime session, in a
 * {@link SlotPool}: one batch per thread, so batches grow in the engine's
 * queue, not in piscina's. The first session loads alone, so that its memory
 * is measured and checked against the limit before the others load.
 */
export class OnnxThreadPool extends SlotPool<SessionHello, ThreadExit, OnnxThread> {
  readonly #onnx: OnnxThreadPoolOptions;
  #sessionBytes: number | undefined;
  #data: SessionThreadData | undefined;
  /** Threads spawned so far: a session's memory is measured only when no other thread loaded meanwhile. */
  #spawns = 0;
  /** For each thread: whether it was the only one loading when spawned, and its spawn number. */
  #spawnedAlone = new WeakMap<OnnxThread, { readonly alone: boolean; readonly spawn: number }>();

  constructor(options: OnnxThreadPoolOptions) {
    super(options);
    this.#onnx = options;
  }

  get version(): string {
    return this.#onnx.version;
  }

  /** Resident memory one thread's session holds: the process's growth while the first one loaded alone. */
  get workerMemoryBytes(): number | undefined {
    return this.#sessionBytes;
  }

  protected override async startSlots(): Promise<void> {
    this.#data = await this.#onnx.load();
    await this.spawn(0).started;
    this.#checkMemory(this.workers.length);
    await Promise.all(this.workers.map((_, slot) => (slot === 0 ? undefined : this.spawn(slot).started)));
  }

  override resize(size: number): void {
    if (this.stopping || size === this.workers.length) return;
    if (size > this.workers.length && this.#data === undefined) {
      // Not started yet: start() spawns every slot.
      this.reserveSlots(size);
      return;
    }
    if (size > this.workers.length) {
      try {
        this.#checkMemory(size);
      } catch (error) {
        this.options.logger.error({ err: error, threads: size }, 'not resizing');
        return;
      }
    }
    super.resize(size);
  }

  protected create(slot: number, logger: Logger): OnnxThread {
    const { version, startTimeoutMs, filename } = this.#onnx;
    const alone = !this.workers.some((t) => t?.state === 'starting');
    const thread = new OnnxThread({ slot, logger, version, startTimeoutMs, workerData: this.#data!, ...(filename === undefined ? {} : { filename }) });
    this.#spawnedAlone.set(thread, { alone, spawn: ++this.#spawns });
    return thread;
  }

  protected ready(thread: OnnxThread, hello: SessionHello, logger: Logger): void {
    // Process memory grew by one session only if no other thread loaded at the same time (start() loads the first alone).
    const spawned = this.#spawnedAlone.get(thread);
    if (spawned?.alone === true && spawned.spawn === this.#spawns) this.#sessionBytes = hello.rssGrowthBytes;
    logger.info({ threadId: hello.threadId, loadMs: Math.round(hello.loadMs), sessionRssMb: Math.round(hello.rssGrowthBytes / 1e6) }, 'worker thread ready');
  }

  protected exitLine(_thread: OnnxThread, exit: ThreadExit): { fields: Record<string, unknown>; msg: string } {
    return { fields: { reason: exit.reason }, msg: 'worker thread ended; restarting' };
  }

  #checkMemory(threads: number): void {
    const limit = this.#onnx.memoryLimitBytes;
    if (limit === undefined || this.#sessionBytes === undefined) return;
    const needed = threads * this.#sessionBytes;
    if (needed > limit) {
      const mb = (bytes: number): string => `${Math.round(bytes / 1e6)} MB`;
      throw new WorkerStartError(
        `${threads} worker threads need about ${mb(needed)} (${mb(this.#sessionBytes)} per session, measured on the first) but onnx.memoryLimitMb is ${mb(limit)}: use at most ${Math.max(1, Math.floor(limit / this.#sessionBytes))} threads`,
      );
    }
  }
}
