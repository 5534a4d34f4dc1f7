import { watchFile, unwatchFile } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Engine } from '../engine/engine.js';
import { GatewayError, ReloadError, ReloadInProgressError } from '../errors.js';
import type { BackendPool } from '../backends/model-backend.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import type { ModelSpec } from '../model/manifest.js';

/** Makes (does not start) a pool of `size` workers for a model version. */
export type PoolFactory = (spec: ModelSpec, size: number) => BackendPool;

export interface LiveModelOptions {
  readonly spec: ModelSpec;
  readonly engine: Engine;
  readonly createPool: PoolFactory;
  /** Reads the model as it now is on disk. */
  readonly reread: () => Promise<ModelSpec>;
  /** Makes the model's environment ready for a new version (virtualenv, missing artifact); skipped when absent. */
  readonly prepare?: (spec: ModelSpec) => Promise<unknown>;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
}

export interface ReloadOutcome {
  readonly model: string;
  readonly previousVersion: string;
  readonly version: string;
  readonly durationMs: number;
}

/**
 * The version of one model being served and the pool serving it. A reload starts a whole
 * new pool on what is on disk now, switches the engine to it only once every
 * new worker is ready, then lets the old pool finish its batches and stop:
 * no request sees the switch. A version that fails to start is stopped and
 * the old one keeps serving.
 */
export class LiveModel {
  #spec: ModelSpec;
  #pool: BackendPool;
  #options: LiveModelOptions;
  #reloading: Promise<ReloadOutcome> | undefined;
  #watching: string[] = [];

  constructor(options: LiveModelOptions, size: number) {
    this.#options = options;
    this.#spec = options.spec;
    this.#pool = options.createPool(options.spec, size);
  }

  get spec(): ModelSpec {
    return this.#spec;
  }

  get pool(): BackendPool {
    return this.#pool;
  }

  get version(): string {
    return this.#spec.manifest.version;
  }

  start(): Promise<void> {
    return this.#pool.start();
  }

  resize(size: number): void {
    this.#pool.resize(size);
  }

  /** Serves the model as it now is on disk; rejects with {@link ReloadError} (old version still serving) or {@link ReloadInProgressError}. */
  reload(): Promise<ReloadOutcome> {
    if (this.#reloading) return Promise.reject(new ReloadInProgressError());
    this.#reloading = this.#reload().finally(() => {
      this.#reloading = undefined;
    });
    return this.#reloading;
  }

  /** Reloads whenever the artifact or model.json changes on disk (polled, so it works on any filesystem). */
  watch(intervalMs = 1_000): void {
    const { dir, manifest } = this.#spec;
    const files = [path.join(dir, 'model.json'), path.resolve(dir, manifest.artifact ?? 'model.json')];
    let timer: NodeJS.Timeout | undefined;
    const onChange = (file: string) => (now: { mtimeMs: number }, before: { mtimeMs: number }) => {
      if (now.mtimeMs === before.mtimeMs) return;
      this.#options.logger.info({ file }, 'model file changed; reloading');
      // A copy in progress fires several changes: reload once it settles.
      clearTimeout(timer);
      timer = setTimeout(() => {
        this.reload().catch(() => undefined);
      }, intervalMs);
      timer.unref();
    };
    for (const file of new Set(files)) {
      watchFile(file, { interval: intervalMs, persistent: false }, onChange(file));
      this.#watching.push(file);
    }
  }

  /** Kills the serving workers at once (shutdown grace period over). */
  kill(): void {
    this.#pool.kill();
  }

  /** Stops watching, waits for a reload in progress, then stops the workers (they finish their batches first). */
  async stop(): Promise<void> {
    for (const file of this.#watching) unwatchFile(file);
    this.#watching = [];
    await this.#reloading?.catch(() => undefined);
    await this.#pool.stop();
  }

  async #reload(): Promise<ReloadOutcome> {
    const { engine, metrics, logger } = this.#options;
    const started = performance.now();
    const previous = this.#spec;
    const name = previous.manifest.name;
    const refuse = (reason: string, cause?: unknown): never => {
      metrics.reloads.inc({ model: name, outcome: 'failed' });
      logger.error({ err: cause, reason }, `reload refused; ${name} ${previous.manifest.version} keeps serving`);
      throw new ReloadError(`${reason}; ${name} ${previous.manifest.version} keeps serving`, { cause });
    };

    let spec: ModelSpec;
    try {
      spec = await this.#options.reread();
    } catch (error) {
      return refuse(`model.json is not valid: ${messageOf(error)}`, error);
    }
    if (spec.manifest.name !== name) refuse(`model.json now names the model "${spec.manifest.name}"; a reload keeps the name "${name}"`);
    if (spec.manifest.runtime !== previous.manifest.runtime) refuse(`model.json now asks for the runtime "${spec.manifest.runtime}": unload the model and load it again to change it`);
    if (JSON.stringify(spec.manifest.input) !== JSON.stringify(previous.manifest.input) || JSON.stringify(spec.manifest.output) !== JSON.stringify(previous.manifest.output)) {
      refuse('the new model.json changes the input or output fields, which the HTTP and Kafka validation were built from: unload the model and load it again to change them');
    }
    logger.info({ version: spec.manifest.version, previousVersion: previous.manifest.version }, `reloading ${name}: starting workers for ${spec.manifest.version}`);
    try {
      await this.#options.prepare?.(spec);
    } catch (error) {
      return refuse(`preparing the new version failed: ${messageOf(error)}`, error);
    }
    const pool = this.#options.createPool(spec, this.#pool.size);
    try {
      await pool.start();
    } catch (error) {
      return refuse(`${name} ${spec.manifest.version} failed to start: ${messageOf(error)}`, error);
    }

    const old = this.#pool;
    this.#pool = pool;
    this.#spec = spec;
    engine.useWorkers(pool);
    // The old workers finish what they run, then exit.
    await old.stop();
    // Whole milliseconds: a client reads the figure, not a float with thirteen decimals.
    const durationMs = Math.round(performance.now() - started);
    metrics.reloads.inc({ model: name, outcome: 'ok' });
    logger.info({ version: spec.manifest.version, previousVersion: previous.manifest.version, durationMs: Math.round(durationMs) }, `${name} ${spec.manifest.version} is serving`);
    return { model: name, previousVersion: previous.manifest.version, version: spec.manifest.version, durationMs };
  }
}

function messageOf(error: unknown): string {
  return error instanceof GatewayError || error instanceof Error ? error.message : String(error);
}
