import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { ManifestError, PrepareError } from '../../errors.js';
import { artifactPath, MANIFEST_FILE, type ModelSpec } from '../../model/manifest.js';
import { bindOnnx, OnnxBindingError } from '../../model/onnx-binding.js';
import { readGraphSignature } from '../../model/onnx-signature.js';
import type { BackendPool, ModelBackend, PoolEvents } from '../model-backend.js';
import type { PythonBackend } from '../python/python-backend.js';
import { OnnxThreadPool } from './onnx-thread-pool.js';
import { prepareOnnxModel } from './prepare-onnx-model.js';
import type { SessionThreadData } from './session-thread.js';

export interface OnnxBackendOptions {
  /** Prepares the Python model an ONNX model is exported from (`trainWith`). */
  readonly python: PythonBackend;
  readonly workerStartTimeoutMs: number;
  /** The thread module, for tests that wrap it. */
  readonly threadModule?: URL;
}

/** Models in an `.onnx` file, run by onnxruntime-node on a pool of worker threads: no Python while serving. */
export class OnnxBackend implements ModelBackend {
  readonly runtime = 'onnx';
  readonly #options: OnnxBackendOptions;

  constructor(options: OnnxBackendOptions) {
    this.#options = options;
  }

  prepare(spec: ModelSpec, logger: Logger): Promise<void> {
    return prepareOnnxModel(spec, this.#options.python, logger);
  }

  checkPrepared(spec: ModelSpec): void {
    const artifact = artifactPath(spec)!;
    if (!existsSync(artifact)) throw new PrepareError(`${artifact} does not exist: start without --no-prepare once to make it`);
  }

  createPool(spec: ModelSpec, size: number, events: PoolEvents, logger: Logger): BackendPool {
    const { memoryLimitMb } = spec.manifest.onnx;
    return new OnnxThreadPool({
      size,
      load: () => this.#threadData(spec, logger),
      version: spec.manifest.version,
      startTimeoutMs: this.#options.workerStartTimeoutMs,
      ...(this.#options.threadModule === undefined ? {} : { filename: this.#options.threadModule }),
      memoryLimitBytes: memoryLimitMb === undefined ? undefined : memoryLimitMb * 1e6,
      logger,
      onWorkerReady: events.onWorkerReady,
      onWorkerRestart: events.onWorkerRestart,
    });
  }

  /** Binds the graph as it is on disk now to the manifest's fields; a bad mapping names its manifest field. */
  async #threadData(spec: ModelSpec, logger: Logger): Promise<SessionThreadData> {
    const modelPath = artifactPath(spec)!;
    const { manifest } = spec;
    const file = `${spec.dir}/${MANIFEST_FILE}`;
    let bound;
    try {
      bound = bindOnnx(manifest.onnx, manifest.input, manifest.output, await readGraphSignature(modelPath));
    } catch (error) {
      if (error instanceof OnnxBindingError) throw new ManifestError(file, error.message, { cause: error });
      throw new ManifestError(file, `its graph ${modelPath} cannot be read: ${(error as Error).message}`, { cause: error });
    }
    const derived = [...(manifest.derived ?? []), ...bound.derived];
    if (derived.length > 0) logger.info({ derived }, `derived from the graph of ${manifest.name}: ${derived.join('; ')}`);
    // Outputs are left out only while the manifest's output is derived (bound.leftOut is empty here, the output is declared by then).
    const leftOut = manifest.leftOut ?? [];
    if (leftOut.length > 0) logger.warn({ leftOut }, `${manifest.name}: ${leftOut.join('; ')}`);
    return { modelPath, binding: bound.binding, intraOpThreads: manifest.onnx.intraOpThreads };
  }
}
