import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../../src/config/config.js';
import { LoadError, ModelNotFoundError, ReloadInProgressError, WorkerStartError } from '../../../src/errors.js';
import type { ModelSpec } from '../../../src/model/manifest.js';
import { ModelRepository } from '../../../src/model/model-repository.js';
import type { ReloadOutcome } from '../../../src/registry/live-model.js';
import { ModelRegistry, type RegisteredModel } from '../../../src/registry/model-registry.js';
import type { ModelReadiness } from '../../../src/registry/served-model.js';
import { TOY_MODEL_DIR } from '../../helpers/gateway.js';
import { TestRepository } from '../../helpers/repository.js';

/** A model whose drain finishes when the test says so. */
class FakeModel implements RegisteredModel {
  readonly version = '0.1.0';
  ready = true;
  stopped = false;
  killed = false;
  #drained!: () => void;
  readonly drainDone = new Promise<void>((resolve) => {
    this.#drained = resolve;
  });
  draining = false;

  constructor(readonly name: string) {}

  readiness(): ModelReadiness {
    return { ready: this.ready, version: this.version, workersReady: this.ready ? 1 : 0, workers: 1, ...(this.ready ? {} : { reason: 'no worker is ready' }) };
  }
  reload(): Promise<ReloadOutcome> {
    return Promise.resolve({ model: this.name, previousVersion: this.version, version: this.version, durationMs: 1 });
  }
  drain(): Promise<void> {
    this.draining = true;
    return this.drainDone;
  }
  finishDrain(): void {
    this.#drained();
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
  kill(): void {
    this.killed = true;
  }
  watch(): void {}
}

function setup(names: readonly string[], fail: ReadonlySet<string> = new Set()) {
  const repository = new TestRepository(Object.fromEntries(names.map((name) => [name, { from: TOY_MODEL_DIR }])));
  const started = new Map<string, FakeModel>();
  const registry = new ModelRegistry<FakeModel>({
    repository: ModelRepository.directory(repository.root),
    defaultModel: names[0]!,
    configure: (spec: ModelSpec) => ({ spec }) as ModelConfig,
    start: async (config) => {
      const name = config.spec.manifest.name;
      if (fail.has(name)) throw new WorkerStartError(`worker 0 failed to start: ${name} is broken`);
      const model = new FakeModel(name);
      started.set(name, model);
      return model;
    },
    watch: false,
    logger: pino({ level: 'silent' }),
  });
  return { repository, registry, started };
}

describe('ModelRegistry', () => {
  it('resolves a model by name, the default one without a name, and refuses one not loaded', async () => {
    const { registry, repository } = setup(['a', 'b']);
    await registry.load('a');
    await registry.load('b');
    expect(registry.resolve('b').name).toBe('b');
    expect(registry.resolve(undefined).name).toBe('a');
    expect(() => registry.resolve('c')).toThrow(ModelNotFoundError);
    repository.remove();
  });

  it('takes an unloading model out of service at once, shows it UNLOADING while it drains, and stops it only once drained', async () => {
    const { registry, started, repository } = setup(['a', 'b']);
    await registry.load('a');
    await registry.load('b');
    const unloading = registry.unload('b');
    const b = started.get('b')!;
    expect(() => registry.resolve('b')).toThrow(ModelNotFoundError);
    expect(b.draining).toBe(true);
    expect((await registry.index()).find((e) => e.name === 'b')).toEqual({ name: 'b', state: 'UNLOADING' });
    await expect(registry.load('b')).rejects.toBeInstanceOf(ReloadInProgressError);
    expect(b.stopped).toBe(false);
    b.finishDrain();
    await unloading;
    expect(b.stopped).toBe(true);
    expect((await registry.index()).find((e) => e.name === 'b')).toEqual({ name: 'b', state: 'UNAVAILABLE', reason: 'not loaded' });
    repository.remove();
  });

  it('reports why a load failed in the index, with GW_ERR_LOAD_FAILED, and 404 for a name the repository lacks', async () => {
    const { registry, repository } = setup(['a', 'broken'], new Set(['broken']));
    await expect(registry.load('broken')).rejects.toBeInstanceOf(LoadError);
    await expect(registry.load('nope')).rejects.toBeInstanceOf(ModelNotFoundError);
    expect(await registry.index()).toEqual([
      { name: 'a', state: 'UNAVAILABLE', reason: 'not loaded' },
      { name: 'broken', state: 'UNAVAILABLE', reason: 'worker 0 failed to start: broken is broken' },
    ]);
    repository.remove();
  });

  it('says why a directory named in upper case cannot be loaded, in the answer and in the index', async () => {
    const { registry, repository } = setup(['a']);
    repository.add('Census', { from: TOY_MODEL_DIR });
    // Said before any load is tried, too.
    expect((await registry.index()).find((e) => e.name === 'Census')?.reason).toMatch(/^not loadable: "Census" is not a model name \(a name is lower-case/);
    const error = await registry.load('Census').catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/"Census" is not a model name: a name is lower-case letters/);
    const entry = (await registry.index()).find((e) => e.name === 'Census');
    expect(entry).toMatchObject({ state: 'UNAVAILABLE', reason: expect.stringMatching(/is not a model name/) as unknown });
    // Not a way out of the repository, whatever exists there.
    await expect(registry.load('../a')).rejects.toBeInstanceOf(ModelNotFoundError);
    repository.remove();
  });

  it('is ready only when every loaded model is, and reloads a loaded model on load', async () => {
    const { registry, started, repository } = setup(['a', 'b']);
    expect(registry.ready()).toBe(false);
    await registry.load('a');
    await registry.load('b');
    expect(registry.ready()).toBe(true);
    started.get('b')!.ready = false;
    expect(registry.ready()).toBe(false);
    expect((await registry.index()).find((e) => e.name === 'b')).toMatchObject({ state: 'UNAVAILABLE', reason: 'no worker is ready' });
    await expect(registry.load('a')).resolves.toMatchObject({ action: 'reloaded', model: 'a' });
    repository.remove();
  });

  it('stops the models that did start when another fails at start-up', async () => {
    const { registry, started, repository } = setup(['a', 'broken'], new Set(['broken']));
    const configs = ['a', 'broken'].map((name) => ({ spec: { dir: '', manifest: { name } } }) as unknown as ModelConfig);
    await expect(registry.startAll(configs)).rejects.toBeInstanceOf(WorkerStartError);
    expect(started.get('a')!.stopped).toBe(true);
    expect(registry.list()).toEqual([]);
    repository.remove();
  });

  it('with exitOnError false, serves the models that started and says in the index why the others are not', async () => {
    const { registry, started, repository } = setup(['a', 'bad-manifest', 'broken'], new Set(['broken']));
    const configs = ['a', 'broken'].map((name) => ({ spec: { dir: '', manifest: { name } } }) as unknown as ModelConfig);
    await registry.startAll(configs, { exitOnError: false, failed: [{ name: 'bad-manifest', error: new Error('model manifest x: version: is required') }] });
    expect(registry.list().map((m) => m.name)).toEqual(['a']);
    expect(started.get('a')!.stopped).toBe(false);
    expect(registry.ready()).toBe(true);
    expect(await registry.index()).toEqual([
      { name: 'a', version: '0.1.0', state: 'READY' },
      { name: 'bad-manifest', state: 'UNAVAILABLE', reason: 'model manifest x: version: is required' },
      { name: 'broken', state: 'UNAVAILABLE', reason: 'worker 0 failed to start: broken is broken' },
    ]);
    await registry.stop();
    repository.remove();
  });

  it('with exitOnError false, still rejects when no model started', async () => {
    const { registry, repository } = setup(['broken'], new Set(['broken']));
    const configs = [{ spec: { dir: '', manifest: { name: 'broken' } } } as unknown as ModelConfig];
    await expect(registry.startAll(configs, { exitOnError: false })).rejects.toBeInstanceOf(WorkerStartError);
    repository.remove();
  });
});
