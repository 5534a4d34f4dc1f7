import type { Logger } from 'pino';
import type { FailedModel, ModelConfig } from '../config/config.js';
import { LoadError, ModelNotFoundError, ReloadInProgressError } from '../errors.js';
import { MODEL_NAME, MODEL_NAME_RULE, type ModelSpec } from '../model/manifest.js';
import type { ModelRepository } from '../model/model-repository.js';
import type { ReloadOutcome } from './live-model.js';
import type { ModelReadiness, ServedModel } from './served-model.js';

/** What the registry itself needs of a model (a {@link ServedModel}; a fake in unit tests). */
export type RegisteredModel = Pick<ServedModel, 'name' | 'version' | 'ready' | 'readiness' | 'reload' | 'drain' | 'stop' | 'kill' | 'watch'>;

/** A model's state in the repository index (the Open Inference Protocol's repository extension). */
export type ModelState = 'READY' | 'LOADING' | 'UNLOADING' | 'UNAVAILABLE';

export interface IndexEntry {
  readonly name: string;
  readonly version?: string;
  readonly state: ModelState;
  /** Why a model is not READY (not loaded, its last load failed, no worker ready). */
  readonly reason?: string;
}

/** What `load` did: started a model that was not loaded, or reloaded one that was. */
export type LoadOutcome = { readonly action: 'loaded'; readonly model: string; readonly version: string; readonly durationMs: number } | ({ readonly action: 'reloaded' } & ReloadOutcome);

export interface ModelRegistryOptions<M extends RegisteredModel = ServedModel> {
  readonly repository: ModelRepository;
  readonly defaultModel: string;
  /** A model's settings from its manifest and the flags. */
  readonly configure: (spec: ModelSpec) => ModelConfig;
  /** Starts a served model; resolves once its workers are ready. */
  readonly start: (config: ModelConfig) => Promise<M>;
  /** Reloads a loaded model when its files change. */
  readonly watch: boolean;
  readonly logger: Logger;
}

/**
 * Every served model by name. Front doors look a model up here for each
 * request and never hold on to one, so a model loaded, reloaded or unloaded
 * while serving is seen by the next request. Loading and unloading one
 * model never waits on another.
 */
export class ModelRegistry<M extends RegisteredModel = ServedModel> {
  readonly #options: ModelRegistryOptions<M>;
  readonly #models = new Map<string, M>();
  /** Loads and unloads in progress, by name: one at a time per model. */
  readonly #changing = new Map<string, { readonly state: 'LOADING' | 'UNLOADING'; readonly done: Promise<unknown> }>();
  /** Why the last load of a model failed (until it loads). */
  readonly #failures = new Map<string, string>();

  constructor(options: ModelRegistryOptions<M>) {
    this.#options = options;
  }

  /** The model `/predict` serves and Kafka records without a `model` header go to. */
  get defaultModel(): string {
    return this.#options.defaultModel;
  }

  get(name: string): M | undefined {
    return this.#models.get(name);
  }

  /** The named model (the default one without a name); throws {@link ModelNotFoundError} when it is not loaded. */
  resolve(name: string | undefined): M {
    const wanted = name ?? this.#options.defaultModel;
    const model = this.#models.get(wanted);
    if (model === undefined) throw new ModelNotFoundError(wanted, name === undefined ? 'is the default model and is not loaded' : 'is not loaded');
    return model;
  }

  /** Loaded models, sorted by name. */
  list(): readonly M[] {
    return [...this.#models.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The process answers (the V2 server-live call). */
  live(): boolean {
    return true;
  }

  /** Every loaded model has a ready worker (and at least one is loaded). */
  ready(): boolean {
    return this.#models.size > 0 && this.list().every((model) => model.ready);
  }

  readiness(): Record<string, ModelReadiness> {
    return Object.fromEntries(this.list().map((model) => [model.name, model.readiness()]));
  }

  /**
   * Starts the models configured at start-up, all at once. With
   * `exitOnError` (the default, as Triton's) any failure stops the others and
   * rejects. Without, a model that fails (or whose manifest already failed,
   * `failed`) is left unloaded, its reason in the index, and the others are
   * served; it rejects only when none started.
   */
  async startAll(configs: readonly ModelConfig[], { exitOnError = true, failed = [] }: { exitOnError?: boolean; failed?: readonly FailedModel[] } = {}): Promise<void> {
    const started = await Promise.allSettled(configs.map((config) => this.#options.start(config)));
    const failures: FailedModel[] = [];
    started.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') this.#add(outcome.value);
      else failures.push({ name: configs[i]!.spec.manifest.name, error: outcome.reason instanceof Error ? outcome.reason : new Error(String(outcome.reason)) });
    });
    // Start failures first: with none started, the start stops with one of them.
    failures.push(...failed);
    if (failures.length === 0) return;
    if (exitOnError || this.#models.size === 0) {
      await this.stop();
      throw failures[0]!.error;
    }
    for (const { name, error } of failures) {
      this.#failures.set(name, error.message);
      this.#options.logger.error({ err: error, model: name }, `${name} could not be loaded and is not served (--no-exit-on-error: the others are): ${error.message}`);
    }
  }

  /**
   * Loads a model of the repository, or reloads it (blue/green: no request
   * fails) when it is loaded. Rejects with {@link ModelNotFoundError} (no such
   * directory), {@link LoadError} (it did not start), `ReloadError` (the old
   * version keeps serving) or {@link ReloadInProgressError}.
   */
  load(name: string): Promise<LoadOutcome> {
    return this.#exclusively(name, 'LOADING', async () => {
      const loaded = this.#models.get(name);
      if (loaded) return { action: 'reloaded' as const, ...(await loaded.reload()) };
      const started = performance.now();
      let model: M;
      try {
        model = await this.#options.start(this.#options.configure(await this.#options.repository.spec(name)));
      } catch (error) {
        if (error instanceof ModelNotFoundError) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        this.#failures.set(name, reason);
        this.#options.logger.error({ err: error, model: name }, `loading ${name} failed`);
        throw new LoadError(name, `${name} could not be loaded: ${reason}`, { cause: error });
      }
      this.#add(model);
      this.#failures.delete(name);
      const durationMs = Math.round(performance.now() - started);
      this.#options.logger.info({ model: name, version: model.version, durationMs }, `${name} ${model.version} is loaded`);
      return { action: 'loaded' as const, model: name, version: model.version, durationMs };
    });
  }

  /**
   * Takes a model out of service: later requests get {@link ModelNotFoundError}
   * at once, requests already accepted are answered, then its workers stop.
   */
  unload(name: string): Promise<void> {
    return this.#exclusively(name, 'UNLOADING', async () => {
      const model = this.#models.get(name);
      if (model === undefined) throw new ModelNotFoundError(name);
      this.#models.delete(name);
      this.#options.logger.info({ model: name }, `unloading ${name}: answering accepted requests, then stopping its workers`);
      await model.drain();
      await model.stop();
      this.#options.logger.info({ model: name }, `${name} is unloaded`);
    });
  }

  /** Every model of the repository, loaded or not, with its state. */
  async index(): Promise<IndexEntry[]> {
    const names = new Set([...(await this.#options.repository.names()), ...this.#models.keys(), ...this.#changing.keys()]);
    return [...names].sort().map((name): IndexEntry => {
      const changing = this.#changing.get(name);
      const model = this.#models.get(name);
      if (changing) return { name, ...(model ? { version: model.version } : {}), state: changing.state };
      if (model) {
        const readiness = model.readiness();
        return readiness.ready ? { name, version: model.version, state: 'READY' } : { name, version: model.version, state: 'UNAVAILABLE', reason: readiness.reason ?? 'not ready' };
      }
      return { name, state: 'UNAVAILABLE', reason: this.#failures.get(name) ?? (MODEL_NAME.test(name) ? 'not loaded' : `not loadable: "${name}" is not a model name (${MODEL_NAME_RULE})`) };
    });
  }

  /** Refuses new work everywhere and resolves once every model has answered what it accepted. */
  async drain(): Promise<void> {
    await Promise.all(this.list().map((model) => model.drain()));
  }

  /** Waits for loads in progress, then stops every model's workers. */
  async stop(): Promise<void> {
    await Promise.all([...this.#changing.values()].map((change) => change.done.catch(() => undefined)));
    const models = this.list();
    this.#models.clear();
    await Promise.all(models.map((model) => model.stop()));
  }

  /** Kills every worker at once (the shutdown grace period is over). */
  kill(): void {
    for (const model of this.#models.values()) model.kill();
  }

  #add(model: M): void {
    this.#models.set(model.name, model);
    if (this.#options.watch) model.watch();
  }

  #exclusively<T>(name: string, state: 'LOADING' | 'UNLOADING', task: () => Promise<T>): Promise<T> {
    const current = this.#changing.get(name);
    if (current) return Promise.reject(new ReloadInProgressError(`${name} is ${current.state === 'LOADING' ? 'being loaded' : 'being unloaded'}: try again once that has finished`));
    const done = task().finally(() => this.#changing.delete(name));
    this.#changing.set(name, { state, done });
    return done;
  }
}
