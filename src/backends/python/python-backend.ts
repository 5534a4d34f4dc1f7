import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { PrepareError } from '../../errors.js';
import type { ModelSpec } from '../../model/manifest.js';
import type { BackendPool, ModelBackend, PoolEvents } from '../model-backend.js';
import { preparePythonModel, runTraining, venvPython } from './prepare-python-model.js';
import { WorkerPool } from './worker-pool.js';

export interface PythonBackendOptions {
  /** Folder holding the `gateway_worker` package and its requirements. */
  readonly pythonDir: string;
  /** Python that creates each model's virtualenv. */
  readonly python: string;
  /** An environment the user manages, used for every model instead of `<model>/.venv`. */
  readonly workerPython: string | undefined;
  /** More requirement files for every virtualenv (the test tools). */
  readonly extraRequirements?: readonly string[];
  readonly workerStartTimeoutMs: number;
  /** Workers run at this much lower CPU priority (nice); 0 leaves them at the gateway's. */
  readonly workerNice?: number;
}

/** Models run by `predict(rows)` in a pool of Python processes, each model in its own virtualenv. */
export class PythonBackend implements ModelBackend {
  readonly runtime = 'python';
  readonly #options: PythonBackendOptions;
  /** Preparations under way, by model directory: an ONNX model trained with this one's environment prepares it too, maybe at the same time. */
  readonly #preparing = new Map<string, Promise<void>>();

  constructor(options: PythonBackendOptions) {
    this.#options = options;
  }

  async prepare(spec: ModelSpec, logger: Logger): Promise<void> {
    // One at a time per directory: the second finds the first's work done.
    const previous = this.#preparing.get(spec.dir);
    const next = (previous ?? Promise.resolve()).catch(() => undefined).then(() => this.#prepare(spec, logger));
    this.#preparing.set(spec.dir, next);
    try {
      await next;
    } finally {
      if (this.#preparing.get(spec.dir) === next) this.#preparing.delete(spec.dir);
    }
  }

  async #prepare(spec: ModelSpec, logger: Logger): Promise<void> {
    await preparePythonModel({
      spec,
      python: this.#options.python,
      pythonDir: this.#options.pythonDir,
      extraRequirements: this.#options.extraRequirements ?? [],
      workerPython: this.#options.workerPython,
      logger,
    });
  }

  checkPrepared(spec: ModelSpec): void {
    const python = this.#pythonOf(spec);
    if (this.#options.workerPython === undefined && !existsSync(python)) {
      throw new PrepareError(`${python} does not exist: start without --no-prepare once to create the virtualenv of ${spec.manifest.name}`);
    }
  }

  createPool(spec: ModelSpec, size: number, events: PoolEvents, logger: Logger): BackendPool {
    return new WorkerPool({
      size,
      worker: { python: this.#pythonOf(spec), modelDir: spec.dir, pythonPath: this.#options.pythonDir, startTimeoutMs: this.#options.workerStartTimeoutMs, version: spec.manifest.version, nice: this.#options.workerNice ?? 0 },
      logger,
      onWorkerReady: events.onWorkerReady,
      onWorkerRestart: events.onWorkerRestart,
    });
  }

  /** Runs `script` in `spec`'s environment, as its own `train` script runs (see {@link runTraining}). */
  train(spec: ModelSpec, script: string, logger: Logger, what: string): Promise<void> {
    return runTraining({ python: this.#pythonOf(spec), pythonDir: this.#options.pythonDir, script, cwd: spec.dir }, logger, what);
  }

  #pythonOf(spec: ModelSpec): string {
    return this.#options.workerPython ?? venvPython(spec.dir);
  }
}
