import type { Logger } from 'pino';
import type { WorkerStartError } from '../../errors.js';
import type { ReadyMessage } from '../../protocol/messages.js';
import { SlotPool, type SlotPoolOptions } from '../slot-pool.js';
import { PythonWorker, type PythonWorkerOptions, type WorkerExit } from './python-worker.js';

export interface WorkerPoolOptions extends SlotPoolOptions {
  readonly worker: Omit<PythonWorkerOptions, 'slot' | 'logger'>;
}

/** N Python worker processes in a {@link SlotPool}: started together, each replaced when it exits. */
export class WorkerPool extends SlotPool<ReadyMessage, WorkerExit, PythonWorker> {
  readonly #worker: WorkerPoolOptions['worker'];
  /** Some worker of this pool has loaded the model. */
  #loadedOnce = false;

  constructor(options: WorkerPoolOptions) {
    super(options);
    this.#worker = options.worker;
  }

  get version(): string {
    return this.#worker.version;
  }

  get pids(): number[] {
    return this.workers.flatMap((w) => (w?.pid === undefined ? [] : [w.pid]));
  }

  protected create(slot: number, logger: Logger): PythonWorker {
    return new PythonWorker({ ...this.#worker, slot, logger });
  }

  protected ready(_worker: PythonWorker, ready: ReadyMessage, logger: Logger): void {
    this.#loadedOnce = true;
    // `pid` is the gateway's own (the root logger's base): the worker's is workerPid.
    logger.info({ workerPid: ready.pid }, 'worker ready');
  }

  protected override startFailed(error: WorkerStartError): void {
    // A replacement killed from outside while loading (a busy machine makes
    // loading slow, and a crash test or the OOM killer may strike then) says
    // nothing against a model that has loaded before: keep recovering, so
    // work queues for the next attempt instead of being refused.
    if (error.killedFromOutside && this.#loadedOnce) return;
    super.startFailed(error);
  }

  protected exitLine(worker: PythonWorker, exit: WorkerExit): { fields: Record<string, unknown>; msg: string } {
    return { fields: { workerPid: worker.pid, code: exit.code, signal: exit.signal }, msg: 'worker exited; restarting' };
  }
}
