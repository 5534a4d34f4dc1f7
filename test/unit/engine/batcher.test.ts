import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Batcher, type BatchSettings } from '../../../src/engine/batcher.js';
import { DEFAULT_LATENCY_SLO_MAX_COST } from '../../../src/engine/objective-feasibility.js';
import { CostModel } from '../../../src/engine/cost-model.js';
import { PendingRequest } from '../../../src/engine/pending-request.js';
import { DeadlineExceededError, ModelError } from '../../../src/errors.js';
import type { Row } from '../../../src/model/row-schema.js';
import { FakePool } from '../../helpers/fake-worker.js';
import { FAKE_TIMERS, flush } from '../../helpers/flush.js';

const rows = (n: number, tag = 'r'): Row[] => Array.from({ length: n }, (_, i) => ({ id: `${tag}${i}` }));
const settings = (maxBatchRows: number): BatchSettings => ({ maxBatchRows, latencySloMs: undefined, latencySloMaxCost: DEFAULT_LATENCY_SLO_MAX_COST, maxBatchWaitMs: 0, batchTimeoutFloorMs: 60_000 });
const request = (n: number, tag = 'r', timeoutMs = 10_000) => new PendingRequest(rows(n, tag), timeoutMs, performance.now());

describe('Batcher', () => {
  beforeEach(() => {
    vi.useFakeTimers(FAKE_TIMERS);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends a lone request to an idle worker at once, without waiting for a timer', () => {
    const pool = new FakePool(2);
    const batcher = new Batcher({ settings: settings(64), cost: new CostModel(), workers: pool });
    batcher.enqueue(request(1));
    // No timer advanced: the batch is already at the worker.
    expect(pool.workers[0]!.batches).toEqual([[{ id: 'r0' }]]);
    expect(batcher.queuedRows).toBe(0);
  });

  it('forms one batch from what queues while every worker is busy', async () => {
    const pool = new FakePool(1);
    const batcher = new Batcher({ settings: settings(64), cost: new CostModel(), workers: pool });
    const first = request(1, 'a');
    batcher.enqueue(first);
    const waiting = [request(2, 'b'), request(1, 'c'), request(3, 'd')];
    for (const r of waiting) batcher.enqueue(r);
    expect(batcher.queuedRows).toBe(6);
    expect(pool.workers[0]!.batches).toHaveLength(1);

    pool.workers[0]!.finish();
    await flush();
    expect(pool.workers[0]!.batches[1]!.map((r) => r.id)).toEqual(['b0', 'b1', 'c0', 'd0', 'd1', 'd2']);
    pool.workers[0]!.finish();
    await expect(first.promise).resolves.toEqual([{ echo: { id: 'a0' } }]);
    await expect(waiting[2]!.promise).resolves.toEqual([{ echo: { id: 'd0' } }, { echo: { id: 'd1' } }, { echo: { id: 'd2' } }]);
  });

  it('never puts more than maxBatchRows rows in a batch, splitting a big request across batches', async () => {
    const pool = new FakePool(1);
    const batcher = new Batcher({ settings: settings(4), cost: new CostModel(), workers: pool });
    batcher.enqueue(request(1, 'x'));
    const big = request(10, 'big');
    batcher.enqueue(big);
    const worker = pool.workers[0]!;
    while (worker.busy) {
      worker.finish();
      await flush();
    }
    expect(worker.batches.map((b) => b.length)).toEqual([1, 4, 4, 2]);
    const results = await big.promise;
    expect(results.map((r) => (r.echo as Row).id)).toEqual(rows(10, 'big').map((r) => r.id));
  });

  it('drops a request whose deadline passed before it reached a worker, with DeadlineExceededError', async () => {
    const pool = new FakePool(1);
    const batcher = new Batcher({ settings: settings(64), cost: new CostModel(), workers: pool });
    batcher.enqueue(request(1, 'busy'));
    const late = request(2, 'late', 50);
    const onTime = request(1, 'ok', 10_000);
    batcher.enqueue(late);
    batcher.enqueue(onTime);
    const lateResult = late.promise.catch((error: unknown) => error);

    vi.advanceTimersByTime(51);
    // The caller hears of it when the deadline passes, not when a worker frees up.
    expect(await lateResult).toBeInstanceOf(DeadlineExceededError);

    pool.workers[0]!.finish();
    await flush();
    // The expired rows never reached the model.
    expect(pool.workers[0]!.batches[1]!.map((r) => r.id)).toEqual(['ok0']);
    expect(batcher.queuedRows).toBe(0);
  });

  it('stops counting an expired request as queued the moment its deadline passes, and reports it expired', async () => {
    const pool = new FakePool(1);
    const expired: PendingRequest[] = [];
    const batcher = new Batcher({ settings: settings(64), cost: new CostModel(), workers: pool, hooks: { onExpired: (r) => expired.push(r) } });
    batcher.enqueue(request(1, 'busy'));
    const late = request(2, 'late', 50);
    batcher.enqueue(late);
    batcher.enqueue(request(1, 'ok'));
    late.promise.catch(() => undefined);
    expect(batcher.queuedRows).toBe(3);
    vi.advanceTimersByTime(51);
    // No worker has freed up, yet the dead rows no longer count.
    expect(batcher.queuedRows).toBe(1);
    expect(expired).toEqual([late]);
  });

  it('drops expired work at dispatch even if its timer has not fired yet', async () => {
    let now = 0;
    const pool = new FakePool(1);
    const batcher = new Batcher({ settings: settings(64), cost: new CostModel(), workers: pool, now: () => now });
    batcher.enqueue(new PendingRequest(rows(1, 'busy'), 10_000, 0));
    const expired = new PendingRequest(rows(1, 'expired'), 100, 0);
    batcher.enqueue(expired);
    const outcome = expired.promise.catch((error: unknown) => error);
    now = 200;
    pool.workers[0]!.finish();
    await flush();
    expect(await outcome).toBeInstanceOf(DeadlineExceededError);
    expect(pool.workers[0]!.batches).toHaveLength(1);
  });

  it('fails every request of a failed batch, and keeps serving the next ones', async () => {
    const pool = new FakePool(1);
    const batcher = new Batcher({ settings: settings(64), cost: new CostModel(), workers: pool });
    const a = request(1, 'a');
    batcher.enqueue(a);
    const b = request(1, 'b');
    batcher.enqueue(b);
    pool.workers[0]!.fail(new ModelError('HANDLER_ERROR', 'ValueError: boom'));
    await expect(a.promise).rejects.toBeInstanceOf(ModelError);
    await flush();
    pool.workers[0]!.finish();
    await expect(b.promise).resolves.toEqual([{ echo: { id: 'b0' } }]);
  });

  it('uses every idle worker before queueing', () => {
    const pool = new FakePool(3);
    const batcher = new Batcher({ settings: settings(64), cost: new CostModel(), workers: pool });
    for (let i = 0; i < 4; i++) batcher.enqueue(request(1, `r${i}-`));
    expect(pool.workers.map((w) => w.batches.length)).toEqual([1, 1, 1]);
    expect(batcher.queuedRows).toBe(1);
  });
});
