import { afterEach, describe, expect, it, vi } from 'vitest';
import { Engine } from '../../../src/engine/engine.js';
import { NotReadyError, OverloadedError, QueueFullError, ShuttingDownError } from '../../../src/errors.js';
import { FakePool } from '../../helpers/fake-worker.js';
import { FAKE_TIMERS, flush } from '../../helpers/flush.js';

const opts = { timeoutMs: 10_000, source: 'http' } as const;

/**
 * One worker, a 50-ms objective, and a cost model taught (on fake timers) that
 * a batch costs 2 ms + 1 ms per row: 23 rows fit in half the objective.
 */
async function engineWithLearnedLine(): Promise<Engine> {
  vi.useFakeTimers(FAKE_TIMERS);
  const pool = new FakePool(1);
  const engine = new Engine({ maxBatchRows: 1024, maxQueueRows: 10_000, latencySloMs: 50, workers: pool });
  for (const rows of [1, 2, 4, 8, 16, 3]) {
    const done = engine.submit(Array.from({ length: rows }, () => ({})), opts);
    vi.advanceTimersByTime(2 + rows);
    pool.workers[0]!.finish();
    await done;
  }
  return engine;
}

describe('Engine admission', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('admits new work as soon as queued requests expire, without waiting for a worker', async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    const pool = new FakePool(1);
    const engine = new Engine({ maxBatchRows: 8, maxQueueRows: 2, workers: pool });
    void engine.submit([{}], opts); // at the worker, which stays busy
    const doomed = engine.submit([{}, {}], { ...opts, timeoutMs: 50 }).catch((e: unknown) => e);
    await expect(engine.submit([{}], opts)).rejects.toBeInstanceOf(QueueFullError);
    vi.advanceTimersByTime(51);
    await doomed;
    const accepted = engine.submit([{}], opts);
    expect(engine.queuedRows).toBe(1);
    pool.workers[0]!.finish();
    await flush();
    pool.workers[0]!.finish();
    await expect(accepted).resolves.toHaveLength(1);
  });

  it('lets close() finish when the last queued request expires rather than completes', async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    // No worker can take a batch (say, one is restarting), so the request only waits.
    const pool = new FakePool(0);
    pool.readyCount = 1;
    const engine = new Engine({ maxBatchRows: 8, maxQueueRows: 10, workers: pool });
    const doomed = engine.submit([{}], { ...opts, timeoutMs: 50 }).catch((e: unknown) => e);
    let closed = false;
    const closing = engine.close().then(() => (closed = true));
    await flush();
    expect(closed).toBe(false);
    vi.advanceTimersByTime(51);
    await doomed;
    await closing;
    expect(closed).toBe(true);
  }, 5_000);

  it('refuses at once with QueueFullError when the rows would overflow the queue', async () => {
    const pool = new FakePool(1);
    const engine = new Engine({ maxBatchRows: 8, maxQueueRows: 10, workers: pool });
    void engine.submit([{}], opts); // at the worker
    void engine.submit(Array.from({ length: 8 }, () => ({})), opts); // queued: 8
    const refused = await engine.submit([{}, {}, {}], opts).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(QueueFullError);
    expect((refused as QueueFullError).retryAfterSeconds).toBeGreaterThan(0);
    // Still room for two rows.
    void engine.submit([{}, {}], opts);
    expect(engine.queuedRows).toBe(10);
  });

  it('refuses with NotReadyError naming the start failure when no worker is ready', async () => {
    const pool = new FakePool(1);
    pool.readyCount = 0;
    pool.lastStartError = new Error('LOAD_FAILED: No module named sklearn');
    const engine = new Engine({ maxBatchRows: 8, maxQueueRows: 10, workers: pool });
    const refused = await engine.submit([{}], opts).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(NotReadyError);
    expect((refused as Error).message).toMatch(/No module named sklearn/);
  });

  it('answers everything accepted before close() resolves, and refuses new work', async () => {
    const pool = new FakePool(1);
    const engine = new Engine({ maxBatchRows: 8, maxQueueRows: 100, workers: pool });
    const a = engine.submit([{ n: 1 }], opts);
    const b = engine.submit([{ n: 2 }], opts);
    let closed = false;
    const closing = engine.close().then(() => (closed = true));
    await expect(engine.submit([{}], opts)).rejects.toBeInstanceOf(ShuttingDownError);
    pool.workers[0]!.finish();
    await flush();
    expect(closed).toBe(false);
    pool.workers[0]!.finish();
    await closing;
    await expect(a).resolves.toHaveLength(1);
    await expect(b).resolves.toHaveLength(1);
  });

  it('refuses at once, with 503 GW_ERR_OVERLOADED, work predicted to finish later than the latency objective', async () => {
    const engine = await engineWithLearnedLine();
    // Half the objective fits (25 - 2) / 1 = 23 rows per batch.
    expect(engine.batchCap).toBe(23);
    void engine.submit([{}], opts); // running
    void engine.submit(Array.from({ length: 20 }, () => ({})), opts); // the queue was empty: always taken
    // 30 rows queued need two batches of 23 behind the running one: 12.5 + 25 ms of queueing leaves no room for a 25 ms batch in 50 ms.
    const refused = await engine.submit(Array.from({ length: 10 }, () => ({})), opts).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OverloadedError);
    expect(refused).toMatchObject({ code: 'GW_ERR_OVERLOADED', retriable: true, retryAfterSeconds: 1, objectiveMs: 50 });
    // One more row still fits: it rides the next batch, which runs anyway.
    expect(engine.queuedRows).toBe(20);
    void engine.submit([{}], opts);
    expect(engine.queuedRows).toBe(21);
    // A caller that says it will wait longer is held to that instead of the objective.
    void engine.submit(Array.from({ length: 9 }, () => ({})), { ...opts, maxWaitMs: 1_000 });
    expect(engine.queuedRows).toBe(30);
    await expect(engine.submit(Array.from({ length: 1000 }, () => ({})), { ...opts, maxWaitMs: 1_000 })).rejects.toBeInstanceOf(OverloadedError);
  });

  it('answers before a request is read whether any request would be refused, and takes nothing by answering', async () => {
    const engine = await engineWithLearnedLine();
    expect(engine.refusalOf(1, undefined)).toBeUndefined();
    void engine.submit([{}], opts); // running
    void engine.submit(Array.from({ length: 45 }, () => ({})), opts); // the queue was empty: always taken
    // Two batches of 23 queued behind the running one: even one more row waits 12.5 + 25 ms, and its batch leaves no room.
    expect(engine.refusalOf(1, undefined)).toBeInstanceOf(OverloadedError);
    expect(engine.queuedRows).toBe(45);
    // A caller that will wait a second still fits.
    expect(engine.refusalOf(1, 1_000)).toBeUndefined();
    await expect(engine.submit([{}], opts)).rejects.toBeInstanceOf(OverloadedError);
  });

  it('can be retuned while serving', () => {
    const engine = new Engine({ maxBatchRows: 8, maxQueueRows: 10, workers: new FakePool(1) });
    const state = engine.tune({ maxBatchRows: 4, maxQueueRows: 100, latencySloMs: 80 });
    expect(state.settings).toMatchObject({ maxBatchRows: 4, maxQueueRows: 100, latencySloMs: 80 });
    expect(engine.batchCap).toBe(4);
  });

  it('does not lock itself into refusing after a quiet spell of one-row batches', async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    const pool = new FakePool(1);
    const engine = new Engine({ maxBatchRows: 1024, maxQueueRows: 10_000, latencySloMs: 100, workers: pool });
    // Low traffic: every batch held one row and took 30 ms.
    for (let i = 0; i < 10; i++) {
      const done = engine.submit([{}], opts);
      vi.advanceTimersByTime(30);
      pool.workers[0]!.finish();
      await done;
    }
    // A burst: one running, then a queue builds. Charging 30 ms per row would
    // predict 15 + 4 × 30 ms and refuse; one batch of 4 rows costs about 30.
    void engine.submit([{}], opts);
    for (let i = 0; i < 4; i++) void engine.submit([{}], opts);
    expect(engine.queuedRows).toBe(4);
    expect(engine.batchCap).toBe(1024);
  });
});
