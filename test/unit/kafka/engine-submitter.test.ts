import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DeadlineExceededError, ModelError, ModelNotFoundError, QueueFullError, WorkerExitedError, type GatewayError } from '../../../src/errors.js';
import { EngineSubmitter, type KafkaModel, type KafkaModels } from '../../../src/kafka/engine-submitter.js';
import type { Result, Row } from '../../../src/model/row-schema.js';
import { flush } from '../../helpers/flush.js';

/** A model whose engine admits up to `capacity` rows at once and answers when told; it is also the registry, serving only itself as `fake`. */
class FakeEngine implements KafkaModel, KafkaModels {
  readonly name = 'fake';
  readonly schemas = { row: z.object({}) };
  readonly admitted: { row: Row; resolve: (r: Result[]) => void; reject: (e: Error) => void }[] = [];
  submits = 0;
  refusals = 0;
  fail: ((row: Row) => GatewayError | undefined) | undefined;
  constructor(public capacity: number) {}

  resolve(name: string | undefined): KafkaModel {
    if (name !== undefined && name !== 'fake') throw new ModelNotFoundError(name);
    return this;
  }

  readonly timeouts: number[] = [];

  predict(rows: readonly Row[], options?: { timeoutMs: number }): Promise<{ results: Result[] }> {
    this.submits++;
    if (options) this.timeouts.push(options.timeoutMs);
    if (this.admitted.length >= this.capacity) {
      this.refusals++;
      return Promise.reject(new QueueFullError(this.admitted.length, this.capacity));
    }
    return new Promise((resolve, reject) => {
      const row = rows[0]!;
      const failure = this.fail?.(row);
      if (failure) {
        reject(failure);
        return;
      }
      this.admitted.push({ row, resolve: (results) => resolve({ results }), reject });
    });
  }

  /** Answers the oldest admitted rows. */
  finish(n = this.admitted.length): void {
    for (const job of this.admitted.splice(0, n)) job.resolve([{ echo: job.row.i }]);
  }
}

async function settle(engine: FakeEngine, until: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !until(); i++) {
    engine.finish();
    await flush();
  }
}

describe('EngineSubmitter', () => {
  it('holds rows the engine refuses for load, reports blocked, and answers every row once the engine has room', async () => {
    const engine = new FakeEngine(10);
    const changes: boolean[] = [];
    const submitter = new EngineSubmitter(engine, { timeoutMs: 1000, onBlocked: (blocked) => changes.push(blocked) });
    const outcomes = Array.from({ length: 100 }, (_, i) => submitter.predict({ i }));
    await flush();
    expect(submitter.blocked).toBe(true);
    expect(changes).toEqual([true]);

    let answered = 0;
    for (const outcome of outcomes) void outcome.then(() => answered++);
    await settle(engine, () => answered === 100);
    expect(await Promise.all(outcomes)).toEqual(Array.from({ length: 100 }, (_, i) => ({ echo: i })));
    expect(submitter.blocked).toBe(false);
    expect(changes).toEqual([true, false]);
  });

  it('paces retries by the engine progress instead of hammering admission', async () => {
    const engine = new FakeEngine(1);
    const submitter = new EngineSubmitter(engine, { timeoutMs: 1000, onBlocked: () => {} });
    const outcomes = Array.from({ length: 500 }, (_, i) => submitter.predict({ i }));
    await flush();
    // Nothing finished yet: a few macrotasks later the refusals stay bounded by one round, not 500 per tick.
    const refusalsBefore = engine.refusals;
    for (let i = 0; i < 5; i++) await flush();
    expect(engine.refusals - refusalsBefore).toBeLessThanOrEqual(64);
    let answered = 0;
    for (const outcome of outcomes) void outcome.then(() => answered++);
    await settle(engine, () => answered === 500);
    expect(answered).toBe(500);
  });

  it('returns a row error (for the dead-letter topic) and retries batch failures a bounded number of times', async () => {
    const engine = new FakeEngine(10);
    let crashes = 0;
    engine.fail = (row) => {
      if (row.i === 'model') return new ModelError('HANDLER_ERROR', 'bad row');
      if (row.i === 'crash' && crashes++ < 5) return new WorkerExitedError('worker died');
      return undefined;
    };
    const submitter = new EngineSubmitter(engine, { timeoutMs: 1000, onBlocked: () => {} });
    expect(await submitter.predict({ i: 'model' })).toBeInstanceOf(ModelError);
    const crashed = await submitter.predict({ i: 'crash' });
    expect(crashed).toBeInstanceOf(WorkerExitedError);
    expect(crashes).toBe(3);
  });

  it('answers a row for a model that is not loaded with GW_ERR_MODEL_NOT_FOUND, without blocking the others', async () => {
    const engine = new FakeEngine(10);
    const submitter = new EngineSubmitter(engine, { timeoutMs: 1000, onBlocked: () => {} });
    const unknown = submitter.predict({ i: 1 }, 'nope');
    const known = submitter.predict({ i: 2 }, 'fake');
    const outcome = await unknown;
    expect(outcome).toBeInstanceOf(ModelNotFoundError);
    expect((outcome as ModelNotFoundError).code).toBe('GW_ERR_MODEL_NOT_FOUND');
    engine.finish();
    expect(await known).toEqual({ echo: 2 });
  });

  it("never offers a row whose deadline passed to the engine, and gives the engine only the deadline's time left", async () => {
    const engine = new FakeEngine(1);
    const submitter = new EngineSubmitter(engine, { timeoutMs: 1000, onBlocked: () => {} });
    const past = await submitter.predict({ i: 'late' }, undefined, { at: Date.now() - 1, timeoutMs: 50 });
    expect(past).toBeInstanceOf(DeadlineExceededError);
    expect((past as DeadlineExceededError).timeoutMs).toBe(50);
    expect(engine.submits).toBe(0);

    const soon = submitter.predict({ i: 1 }, undefined, { at: Date.now() + 5000, timeoutMs: 5000 });
    await flush();
    expect(engine.timeouts[0]).toBeGreaterThan(1000);
    expect(engine.timeouts[0]).toBeLessThanOrEqual(5000);
    engine.finish();
    expect(await soon).toEqual({ echo: 1 });

    // Waiting behind a full engine until the deadline passes: answered with the deadline error, never submitted.
    const blocker = submitter.predict({ i: 2 });
    const waiting = submitter.predict({ i: 3 }, undefined, { at: Date.now() + 30, timeoutMs: 30 });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await waiting).toBeInstanceOf(DeadlineExceededError);
    expect(engine.admitted.map((a) => a.row.i)).toEqual([2]);
    engine.finish();
    expect(await blocker).toEqual({ echo: 2 });
  });
});
