import { Piscina } from 'piscina';
import type { Logger } from 'pino';
import { ModelError, WorkerExitedError, WorkerStartError } from '../../errors.js';
import type { Result, Row } from '../../model/row-schema.js';
import type { SessionHello, SessionTask, SessionThreadData } from './session-thread.js';

export interface OnnxThreadOptions {
  /** Slot in the pool; stays the same across restarts of that slot. */
  readonly slot: number;
  readonly version: string;
  readonly workerData: SessionThreadData;
  /** A thread not ready this long after starting is ended and reported as a start failure. */
  readonly startTimeoutMs: number;
  readonly logger: Logger;
  /** The thread module: the real one unless a test wraps it. */
  readonly filename?: URL;
}

export type ThreadState = 'starting' | 'ready' | 'stopping' | 'exited';

export interface ThreadExit {
  /** Batches it was running when it ended (they failed with a worker-exited error). */
  readonly batchesLost: number;
  readonly reason: string;
}

// Run from `src/` (tsx, vitest) the thread loads TypeScript too; from `dist/`, plain JavaScript.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const SESSION_THREAD = new URL(FROM_SOURCE ? './session-thread.ts' : './session-thread.js', import.meta.url);

/**
 * One worker thread running an onnxruntime session: a piscina pool of
 * exactly one thread, so that the gateway's batcher, not piscina's queue,
 * decides what runs where (`maxQueue: 0`: a task for a busy thread is an
 * error, never a wait), and a thread that ends is replaced by the pool's own
 * policy (backoff, start failures) as a Python worker is. piscina gives the
 * rest: the session loaded once in the module's exported promise, and an
 * aborted task terminating its thread.
 */
export class OnnxThread {
  readonly slot: number;
  readonly version: string;
  /** Resolves once the session is loaded; rejects with {@link WorkerStartError} otherwise. */
  readonly started: Promise<SessionHello>;
  /** Resolves when the thread has ended, for whatever reason. */
  readonly exited: Promise<ThreadExit>;

  #piscina: Piscina<SessionTask, SessionHello | Result[]>;
  #state: ThreadState = 'starting';
  #running: AbortController | undefined;
  #readyAt = 0;
  #threadEnded = false;
  #onEnded!: (reason: string) => void;
  /** Why the thread ended, once it has: a start that fails because of it says so, not what piscina saw. */
  #endReason: string | undefined;
  #hello: SessionHello | undefined;

  constructor(options: OnnxThreadOptions) {
    this.slot = options.slot;
    this.version = options.version;
    const filename = options.filename ?? SESSION_THREAD;
    this.#piscina = new Piscina({
      filename: filename.href,
      minThreads: 1,
      maxThreads: 1,
      concurrentTasksPerWorker: 1,
      maxQueue: 0,
      // Never reached with minThreads = maxThreads, but a thread must never be retired for idling: its session took a second to load.
      idleTimeout: 2 ** 31 - 1,
      workerData: options.workerData,
      execArgv: filename.pathname.endsWith('.ts') ? ['--import', 'tsx'] : [],
    });

    let wasReady = false;
    this.exited = new Promise((resolve) => {
      this.#onEnded = (reason) => {
        if (this.#state === 'exited') return;
        this.#state = 'exited';
        this.#endReason = reason;
        const batchesLost = this.#running === undefined ? 0 : 1;
        this.#running?.abort();
        // piscina would start a fresh thread in its place: the pool decides that (and when), so this one is closed for good.
        void this.#piscina.destroy().catch(() => undefined);
        resolve({ batchesLost, reason });
      };
    });
    // A thread that ends (crash, process.exit in native code, a terminated task) is gone: piscina reports it here.
    this.#piscina.on('workerDestroy', () => {
      this.#threadEnded = true;
      this.#onEnded(wasReady ? 'the thread ended' : 'the thread ended while loading');
    });
    // An error thrown outside a task (the session failed to load) ends the thread; its task has failed with it already.
    this.#piscina.on('error', (error: Error) => options.logger.error({ err: error }, 'worker thread error'));

    const timer = setTimeout(() => {
      if (this.#state === 'starting') this.#onEnded(`did not load its session within ${options.startTimeoutMs} ms`);
    }, options.startTimeoutMs);
    timer.unref();
    this.started = (this.#piscina.run({ kind: 'hello' }) as Promise<SessionHello>).then(
      (hello) => {
        clearTimeout(timer);
        if (this.#state !== 'starting') throw new WorkerStartError(`worker thread ${this.slot} failed to start: it was stopped while loading`);
        wasReady = true;
        this.#hello = hello;
        this.#state = 'ready';
        this.#readyAt = performance.now();
        return hello;
      },
      (error: Error) => {
        clearTimeout(timer);
        const reason = this.#endReason ?? error.message;
        this.#onEnded(reason);
        throw new WorkerStartError(`worker thread ${this.slot} failed to start: ${reason}`);
      },
    );
    // A start failure that nobody awaits (e.g. a restart) must not crash the process.
    this.started.catch(() => undefined);
  }

  get state(): ThreadState {
    return this.#state;
  }

  /** Batches sent and not yet answered (0 or 1). */
  get inFlight(): number {
    return this.#running === undefined ? 0 : 1;
  }

  /** What loading the session cost, once it is loaded. */
  get hello(): SessionHello | undefined {
    return this.#hello;
  }

  /** Milliseconds since the thread became ready (0 if never). */
  uptimeMs(now = performance.now()): number {
    return this.#readyAt === 0 ? 0 : now - this.#readyAt;
  }

  /** Runs one batch; resolves with one result per row, in order. */
  async run(rows: readonly Row[]): Promise<Result[]> {
    if (this.#state !== 'ready' || this.#running !== undefined) {
      throw new WorkerExitedError(`worker thread ${this.slot} is ${this.#running === undefined ? this.#state : 'busy'}`);
    }
    const running = new AbortController();
    this.#running = running;
    try {
      return (await this.#piscina.run({ kind: 'run', rows }, { signal: running.signal })) as Result[];
    } catch (error) {
      // Killed, or the thread died under the batch: the engine retries its rows elsewhere.
      if (running.signal.aborted || this.#threadEnded) throw new WorkerExitedError(`worker thread ${this.slot} ended while running this batch`);
      // Thrown by onnxruntime or the tensor mapping: a model error for this batch (the engine bisects it).
      throw new ModelError('ONNX_RUN_ERROR', (error as Error).message);
    } finally {
      if (this.#running === running) this.#running = undefined;
      // stop() may have been called while the batch ran (TypeScript cannot see that through the await).
      if ((this.#state as ThreadState) === 'stopping') this.#onEnded('stopped');
    }
  }

  /** Takes no new batch, lets the running one finish, then ends the thread; ends it anyway after `graceMs`. */
  async stop(graceMs: number): Promise<ThreadExit> {
    if (this.#state === 'exited') return this.exited;
    this.#state = 'stopping';
    if (this.#running === undefined) this.#onEnded('stopped');
    const timer = setTimeout(() => this.kill(), graceMs);
    timer.unref();
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  /** Ends the thread at once; its running batch fails with a worker-exited error. */
  kill(): void {
    this.#running?.abort();
    this.#onEnded('killed');
  }
}
