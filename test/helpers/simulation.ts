import { vi } from 'vitest';
import { Engine, type EngineOptions } from '../../src/engine/engine.js';
import { GatewayError } from '../../src/errors.js';
import { FakePool } from './fake-worker.js';
import { flush } from './flush.js';

/** Milliseconds a batch of `rows` takes when it starts at simulated time `at`. */
export type BatchCost = (rows: number, at: number) => number;

/** A batch cost on a straight line: `fixedMs + perRowMs × rows`. */
export const line = (fixedMs: number, perRowMs: number): BatchCost => (rows) => fixedMs + perRowMs * rows;

/**
 * An engine over fake workers on fake timers, driven as a discrete-event
 * simulation: each batch finishes `cost(rows)` simulated milliseconds after it
 * was dispatched, so the cost model, the cap and admission see exactly the
 * machine the test describes. Needs `vi.useFakeTimers(FAKE_TIMERS)`.
 */
export class Simulation {
  readonly pool: FakePool;
  readonly engine: Engine;
  readonly batches: number[] = [];
  #cost: BatchCost;
  #finishAt = new Map<number, number>();
  #seen: number[];

  constructor(workers: number, cost: BatchCost, options: Partial<EngineOptions> = {}) {
    this.pool = new FakePool(workers);
    this.#cost = cost;
    this.#seen = this.pool.workers.map(() => 0);
    this.engine = new Engine({ maxBatchRows: 1024, maxQueueRows: 100_000, workers: this.pool, ...options });
  }

  get now(): number {
    return performance.now();
  }

  /** Runs batches until simulated time `until` (or until nothing is running). */
  async runUntil(until: number): Promise<void> {
    for (;;) {
      await flush();
      this.#noteDispatches();
      const next = this.#nextFinish();
      const target = Math.min(next?.at ?? Number.POSITIVE_INFINITY, until);
      if (!Number.isFinite(target)) return;
      // A millisecond at a time: a timer (the batcher's dwell) may send a
      // batch on the way, and it must be noticed when it is sent.
      if (target - this.now > 1) {
        vi.advanceTimersByTime(1);
        continue;
      }
      // Whole milliseconds: fake clocks do not move by fractions reliably.
      vi.advanceTimersByTime(Math.max(0, Math.ceil(target - this.now)));
      if (next === undefined || next.at > until) {
        await flush();
        return;
      }
      this.#finishAt.delete(next.worker);
      this.pool.workers[next.worker]!.finish();
    }
  }

  /** Lets batches run until every worker is idle. */
  async runToIdle(): Promise<void> {
    await this.runUntil(Number.POSITIVE_INFINITY);
  }

  #noteDispatches(): void {
    this.pool.workers.forEach((worker, i) => {
      if (worker.batches.length > this.#seen[i]!) {
        this.#seen[i] = worker.batches.length;
        const rows = worker.batches.at(-1)!.length;
        this.batches.push(rows);
        // From when it was sent, not when it is noticed: a batch sent by a
        // timer while the clock jumped to the next finish is noticed late,
        // and timing it from then made a 17-ms batch take 51.
        const startedAt = worker.startedAt.at(-1)!;
        this.#finishAt.set(i, Math.max(this.now, startedAt + this.#cost(rows, startedAt)));
      }
    });
  }

  #nextFinish(): { worker: number; at: number } | undefined {
    let best: { worker: number; at: number } | undefined;
    for (const [worker, at] of this.#finishAt) if (best === undefined || at < best.at) best = { worker, at };
    return best;
  }
}

/** A few batches of varied size, so the cost model has a line to fit. */
export async function warmUp(sim: Simulation): Promise<void> {
  for (const rows of [1, 8, 32, 64, 16, 4, 128, 2]) {
    void sim.engine.submit(Array.from({ length: rows }, (_, x) => ({ x })), { timeoutMs: 60_000, source: 'http', maxWaitMs: 600_000 });
    await sim.runToIdle();
  }
}

export interface ClosedLoopResult {
  readonly answered: number;
  readonly refused: number;
  readonly refusalCodes: Set<string>;
  /** Answers per simulated second. */
  readonly goodput: number;
}

export interface ClosedLoopOptions {
  /**
   * Simulated milliseconds between an answer and the client's next request
   * (the network and client round trip), drawn per request; none by default.
   * Real clients come back spread over a few milliseconds, not all at once.
   */
  readonly roundTripMs?: () => number;
  /** Rows in each request (1 by default). */
  readonly rowsPerRequest?: number;
}

/**
 * `clients` callers, each sending one row and, once answered, the next; a
 * refused caller tries again as soon as the next batch finishes (as a real
 * closed-loop client would, after one round trip). Runs for `durationMs` of
 * simulated time.
 */
export async function closedLoop(sim: Simulation, clients: number, durationMs: number, options: ClosedLoopOptions = {}): Promise<ClosedLoopResult> {
  const start = sim.now;
  const end = Math.ceil(start + durationMs);
  let answered = 0;
  let refused = 0;
  const refusalCodes = new Set<string>();
  let retry: (() => void)[] = [];
  const send = (): void => {
    if (sim.now >= end) return;
    sim.engine.submit(Array.from({ length: options.rowsPerRequest ?? 1 }, () => ({ x: 1 })), { timeoutMs: 60_000, source: 'http' }).then(
      () => {
        if (sim.now <= end) answered += 1;
        const roundTrip = options.roundTripMs?.() ?? 0;
        if (roundTrip > 0) setTimeout(send, roundTrip);
        else send();
      },
      (error: unknown) => {
        refused += 1;
        if (error instanceof GatewayError) refusalCodes.add(error.code);
        retry.push(send);
      },
    );
  };
  for (let i = 0; i < clients; i++) send();
  while (sim.now < end) {
    await flush();
    const waiting = retry;
    retry = [];
    // Retry once time has moved on, or the simulation would spin at one instant.
    const step = Math.min(end, Math.floor(sim.now) + 1);
    await sim.runUntil(step);
    for (const again of waiting) again();
  }
  await sim.runToIdle();
  return { answered, refused, refusalCodes, goodput: (answered * 1000) / durationMs };
}

/** A seeded pseudo-random source in [0, 1) (mulberry32), so a simulation is the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface OpenLoopResult {
  /** Latencies (simulated ms) of the requests answered, sent after `measureFromMs`. */
  readonly latencies: readonly number[];
  /** Requests refused among those sent after `measureFromMs`. */
  readonly refused: number;
  /** Answers per simulated second over the measured part. */
  readonly goodput: number;
  /** Share of the answered requests answered later than `objectiveMs`. */
  lateShare(objectiveMs: number): number;
  /** The latency at quantile `q` of the answered requests. */
  quantile(q: number): number;
}

export interface OpenLoopOptions {
  /** Rows in each request (1 by default). */
  readonly rowsPerRequest?: number;
  /** Called once, as the first request that counts is sent: to read the engine's state under the load. */
  readonly onMeasureStart?: () => void;
}

/**
 * Requests sent on a schedule, `ratePerMs` a millisecond whatever the engine
 * answers (fractions carried over), for `durationMs`; only those sent from
 * `measureFromMs` on are counted, so the cost model has settled.
 */
export async function openLoop(sim: Simulation, ratePerMs: number, durationMs: number, measureFromMs = 0, options: OpenLoopOptions = {}): Promise<OpenLoopResult> {
  const start = sim.now;
  const measureFrom = start + measureFromMs;
  const end = start + durationMs;
  const latencies: number[] = [];
  let refused = 0;
  let carry = 0;
  let measuring = false;
  const rowsPerRequest = options.rowsPerRequest ?? 1;
  while (sim.now < end) {
    if (!measuring && sim.now >= measureFrom) {
      measuring = true;
      options.onMeasureStart?.();
    }
    carry += ratePerMs;
    const n = Math.floor(carry);
    carry -= n;
    for (let i = 0; i < n; i++) {
      const at = sim.now;
      sim.engine.submit(Array.from({ length: rowsPerRequest }, () => ({ x: i })), { timeoutMs: 60_000, source: 'http' }).then(
        () => {
          if (at >= measureFrom) latencies.push(sim.now - at);
        },
        () => {
          if (at >= measureFrom) refused += 1;
        },
      );
    }
    await sim.runUntil(sim.now + 1);
  }
  await sim.runToIdle();
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    latencies: sorted,
    refused,
    goodput: (sorted.length * 1000) / (durationMs - measureFromMs),
    lateShare: (objectiveMs) => sorted.filter((l) => l > objectiveMs).length / Math.max(1, sorted.length),
    quantile: (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN,
  };
}
