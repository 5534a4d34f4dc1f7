import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Batcher, MAX_CRASHES_PER_ROW, type BatchSettings, type BatchWorker, type RetryReason } from '../../../src/engine/batcher.js';
import { DEFAULT_LATENCY_SLO_MAX_COST } from '../../../src/engine/objective-feasibility.js';
import { CostModel } from '../../../src/engine/cost-model.js';
import { PendingRequest } from '../../../src/engine/pending-request.js';
import { BatchTimeoutError, ModelError, PoisonRowError, WorkerExitedError } from '../../../src/errors.js';
import type { Result, Row } from '../../../src/model/row-schema.js';
import { FakePool } from '../../helpers/fake-worker.js';
import { FAKE_TIMERS, flush } from '../../helpers/flush.js';

const settings = (overrides: Partial<BatchSettings> = {}): BatchSettings => ({ maxBatchRows: 64, latencySloMs: undefined, latencySloMaxCost: DEFAULT_LATENCY_SLO_MAX_COST, maxBatchWaitMs: 0, batchTimeoutFloorMs: 1_000, ...overrides });
const single = (x: number, mode = 'ok') => new PendingRequest([{ x, mode }], 60_000, performance.now());

/**
 * A pool of workers that answer by themselves: `boom` rows make the batch
 * raise, `exit` rows kill the worker, `hang` rows never answer.
 */
class ScriptedPool {
  readonly batches: Row[][] = [];
  readonly kills: number[] = [];
  #busy = new Set<number>();
  constructor(readonly size: number) {}

  pick(): BatchWorker | undefined {
    for (let id = 0; id < this.size; id++) {
      if (!this.#busy.has(id)) return this.#worker(id);
    }
    return undefined;
  }

  #worker(id: number): BatchWorker {
    let reject: ((error: Error) => void) | undefined;
    return {
      version: 'v1',
      kill: () => {
        this.kills.push(id);
        this.#busy.delete(id);
        reject?.(new WorkerExitedError('killed'));
      },
      run: (rows) => {
        this.#busy.add(id);
        this.batches.push([...rows]);
        return new Promise<Result[]>((resolve, fail) => {
          reject = fail;
          const modes = new Set(rows.map((r) => r.mode));
          if (modes.has('hang')) return;
          queueMicrotask(() => {
            this.#busy.delete(id);
            if (modes.has('boom')) fail(new ModelError('HANDLER_ERROR', 'ValueError: boom'));
            else if (modes.has('exit')) fail(new WorkerExitedError('worker exited with code 17'));
            else resolve(rows.map((r) => ({ y: (r.x as number) * 2 })));
          });
        });
      },
    };
  }
}

describe('Batcher recovery', () => {
  beforeEach(() => {
    vi.useFakeTimers(FAKE_TIMERS);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Queues `requests` behind a busy single worker so they form one batch, then lets it go. */
  async function asOneBatch(batcher: Batcher, pool: FakePool, requests: PendingRequest[]): Promise<void> {
    const blocker = single(-1);
    batcher.enqueue(blocker);
    for (const request of requests) batcher.enqueue(request);
    pool.workers[0]!.finish((row) => ({ y: (row.x as number) * 2 }));
    await blocker.promise;
  }

  it('bisects a batch the handler rejects: only the guilty row fails, every other row gets its prediction', async () => {
    const pool = new ScriptedPool(1);
    const retries: [RetryReason, number][] = [];
    const batcher = new Batcher({ settings: settings(), cost: new CostModel(), workers: pool, hooks: { onRetry: (reason, rows) => retries.push([reason, rows]) } });
    const requests = Array.from({ length: 16 }, (_, x) => single(x, x === 11 ? 'boom' : 'ok'));
    for (const request of requests) batcher.enqueue(request);
    const outcomes = await Promise.allSettled(requests.map((r) => r.promise));
    outcomes.forEach((outcome, x) => {
      if (x === 11) expect(outcome).toMatchObject({ status: 'rejected', reason: expect.any(ModelError) });
      else expect(outcome).toEqual({ status: 'fulfilled', value: [{ y: x * 2 }] });
    });
    // The first request went alone; the 15 queued behind it were halved down to the culprit: 15, 8, 4, 2.
    expect(retries).toEqual([['model_error', 15], ['model_error', 8], ['model_error', 4], ['model_error', 2]]);
  });

  it('splits a request across halves and still gives it all its results in order', async () => {
    const pool = new ScriptedPool(1);
    const batcher = new Batcher({ settings: settings(), cost: new CostModel(), workers: pool });
    const good = new PendingRequest(Array.from({ length: 6 }, (_, x) => ({ x })), 60_000, performance.now());
    const bad = single(99, 'boom');
    const first = single(-1);
    batcher.enqueue(first);
    batcher.enqueue(good);
    batcher.enqueue(bad);
    await expect(good.promise).resolves.toEqual([0, 2, 4, 6, 8, 10].map((y) => ({ y })));
    await expect(bad.promise).rejects.toBeInstanceOf(ModelError);
  });

  it(`retries a row whose batch crashed, and refuses it as poison after ${MAX_CRASHES_PER_ROW} crashes on its own`, async () => {
    const pool = new ScriptedPool(2);
    const batcher = new Batcher({ settings: settings(), cost: new CostModel(), workers: pool });
    const requests = Array.from({ length: 8 }, (_, x) => single(x, x === 3 ? 'exit' : 'ok'));
    for (const request of requests) batcher.enqueue(request);
    const outcomes = await Promise.allSettled(requests.map((r) => r.promise));
    expect(outcomes[3]).toMatchObject({ status: 'rejected', reason: expect.any(PoisonRowError) });
    expect((outcomes[3] as PromiseRejectedResult).reason).toMatchObject({ attempts: MAX_CRASHES_PER_ROW });
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(7);
    const alone = pool.batches.filter((b) => b.length === 1 && b[0]!.mode === 'exit');
    expect(alone).toHaveLength(MAX_CRASHES_PER_ROW);
  });

  it('re-dispatches a batch whose worker died for another reason, so its callers still get results', async () => {
    const pool = new FakePool(1);
    const batcher = new Batcher({ settings: settings(), cost: new CostModel(), workers: pool });
    const requests = Array.from({ length: 5 }, (_, x) => single(x));
    await asOneBatch(batcher, pool, requests);
    const worker = pool.workers[0]!;
    expect(worker.batches.at(-1)).toHaveLength(5);
    // Killed from outside while running the five rows.
    worker.fail(new WorkerExitedError('killed'));
    await flush();
    const sizes: number[] = [];
    while (worker.busy) {
      sizes.push(worker.batches.at(-1)!.length);
      worker.finish((row) => ({ y: (row.x as number) * 2 }));
      await flush();
    }
    expect(sizes).toEqual([2, 3]);
    const results = await Promise.all(requests.map((r) => r.promise));
    expect(results).toEqual([0, 1, 2, 3, 4].map((x) => [{ y: x * 2 }]));
  });

  it('kills the worker of a batch that runs past its budget and handles the batch as a crash', async () => {
    const pool = new ScriptedPool(1);
    const batcher = new Batcher({ settings: settings({ batchTimeoutFloorMs: 500 }), cost: new CostModel(), workers: pool });
    const hung = single(1, 'hang');
    const fine = single(2);
    batcher.enqueue(hung);
    batcher.enqueue(fine);
    const outcome = hung.promise.catch((e: unknown) => e);
    for (let i = 0; i < MAX_CRASHES_PER_ROW; i++) {
      await vi.advanceTimersByTimeAsync(500);
    }
    const error = await outcome;
    expect(error).toBeInstanceOf(PoisonRowError);
    expect((error as PoisonRowError).lastError).toBeInstanceOf(BatchTimeoutError);
    expect(pool.kills).toHaveLength(MAX_CRASHES_PER_ROW);
    await expect(fine.promise).resolves.toEqual([{ y: 4 }]);
  });

  it('drops rows whose caller is gone instead of retrying them', async () => {
    const pool = new FakePool(1);
    const retried: number[] = [];
    const batcher = new Batcher({ settings: settings(), cost: new CostModel(), workers: pool, hooks: { onRetry: (_r, rows) => retried.push(rows) } });
    const gone = new PendingRequest([{ x: 1 }, { x: 2 }], 100, performance.now());
    const caught = gone.promise.catch((e: unknown) => e);
    batcher.enqueue(gone);
    vi.advanceTimersByTime(101);
    await caught;
    pool.workers[0]!.fail(new WorkerExitedError('killed'));
    await flush();
    expect(retried).toEqual([]);
    expect(batcher.queuedRows).toBe(0);
  });
});

describe('Batch sizing under a latency objective', () => {
  it('caps batches at the rows the learned cost fits in half the objective', () => {
    const cost = new CostModel();
    for (const rows of [1, 10, 100, 50, 200]) cost.observe(rows, 2 + 0.1 * rows);
    const pool = new FakePool(1);
    const batcher = new Batcher({ settings: settings({ maxBatchRows: 1024, latencySloMs: 60 }), cost, workers: pool });
    batcher.refresh();
    // (60 / 2 - 2) / 0.1 = 280 rows (the fixed cost is amortised from 60 rows on).
    expect(batcher.batchCap).toBe(280);
    batcher.settings.latencySloMs = undefined;
    expect(batcher.batchCap).toBe(1024);
    batcher.settings.latencySloMs = 10_000;
    expect(batcher.batchCap).toBe(1024);
  });

  it('uses the hard cap while the cost model is still warming up', () => {
    const batcher = new Batcher({ settings: settings({ maxBatchRows: 32, latencySloMs: 5 }), cost: new CostModel(), workers: new FakePool(1) });
    expect(batcher.batchCap).toBe(32);
  });
});

describe('Waiting for a fuller batch (maxBatchWaitMs)', () => {
  beforeEach(() => {
    vi.useFakeTimers(FAKE_TIMERS);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function fixedCostModel(): CostModel {
    const cost = new CostModel();
    // 10 ms per batch whatever its size: batching is nearly free.
    for (const rows of [1, 10, 100, 50, 200]) cost.observe(rows, 10 + 0.001 * rows);
    return cost;
  }

  it('holds a partial batch while another is running, then sends it at the wait limit', () => {
    const pool = new FakePool(2);
    const batcher = new Batcher({ settings: settings({ maxBatchWaitMs: 5, latencySloMs: 100 }), cost: fixedCostModel(), workers: pool });
    batcher.enqueue(single(1));
    batcher.enqueue(single(2));
    expect(pool.workers[1]!.busy).toBe(false);
    vi.advanceTimersByTime(5);
    expect(pool.workers[1]!.batches).toEqual([[{ x: 2, mode: 'ok' }]]);
  });

  it('never waits when nothing is running, nor when not asked to', () => {
    const pool = new FakePool(2);
    const batcher = new Batcher({ settings: settings({ maxBatchWaitMs: 5 }), cost: fixedCostModel(), workers: pool });
    batcher.enqueue(single(1));
    expect(pool.workers[0]!.busy).toBe(true);
    const eager = new FakePool(2);
    const noWait = new Batcher({ settings: settings(), cost: fixedCostModel(), workers: eager });
    noWait.enqueue(single(1));
    noWait.enqueue(single(2));
    expect(eager.workers[1]!.busy).toBe(true);
  });

  it('does not wait when waiting would break the objective', () => {
    const pool = new FakePool(2);
    const batcher = new Batcher({ settings: settings({ maxBatchWaitMs: 50, latencySloMs: 40 }), cost: fixedCostModel(), workers: pool });
    batcher.enqueue(single(1));
    batcher.enqueue(single(2));
    expect(pool.workers[1]!.busy).toBe(true);
  });
});
