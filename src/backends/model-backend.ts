import type { Logger } from 'pino';
import type { EngineWorkers } from '../engine/engine.js';
import type { ModelSpec, Runtime } from '../model/manifest.js';

/**
 * The workers of one model version, as the registry and the engine see
 * them, whatever runs them (Python processes today). The engine only picks
 * idle workers from it ({@link EngineWorkers}); the served model starts,
 * resizes and stops it.
 */
export interface BackendPool extends EngineWorkers {
  /** The model version its workers serve. */
  readonly version: string;
  /** Workers it keeps running. */
  readonly size: number;
  readonly lastStartError: Error | undefined;
  /** Resident memory one worker holds, when the pool measures it (ONNX threads: one session). */
  readonly workerMemoryBytes?: number | undefined;
  /** Starts every worker; rejects (and stops the rest) when one cannot start. */
  start(): Promise<void>;
  /** Grows or shrinks while serving; removed workers finish their batch first. */
  resize(size: number): void;
  /** Stops taking batches, lets running ones finish, then stops the workers. */
  stop(): Promise<void>;
  /** Stops every worker at once, running batches and all. */
  kill(): void;
}

/** What a pool tells the served model about its workers. */
export interface PoolEvents {
  /** A worker became ready: queued work can go to it. */
  onWorkerReady(): void;
  /** A worker that exited is being replaced. */
  onWorkerRestart(): void;
}

/**
 * One kind of model runtime (the manifest's `runtime`). A new kind is one
 * folder under `src/backends/` implementing this, and one line in
 * `backends.ts`; nothing above the backend knows which kind runs a model.
 */
export interface ModelBackend {
  readonly runtime: Runtime;
  /** Makes the model runnable (its environment, a missing artifact), idempotently, logging progress. */
  prepare(spec: ModelSpec, logger: Logger): Promise<void>;
  /** Throws a `PrepareError` when the model cannot run unprepared (start-up with --no-prepare). */
  checkPrepared(spec: ModelSpec): void;
  /** Makes (does not start) a pool of `size` workers for this version. */
  createPool(spec: ModelSpec, size: number, events: PoolEvents, logger: Logger): BackendPool;
}
