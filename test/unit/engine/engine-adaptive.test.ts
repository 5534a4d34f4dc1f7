import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from 'pino';
import { TooManyRowsError, ValidationError } from '../../../src/errors.js';
import { FAKE_TIMERS } from '../../helpers/flush.js';
import { closedLoop, line, openLoop, seededRandom, Simulation, warmUp } from '../../helpers/simulation.js';

const opts = { timeoutMs: 60_000, source: 'http' } as const;
/** Real callers come back 1–6 ms after their answer, not all at the same instant. */
const spreadRoundTrip = (seed: number): (() => number) => {
  const random = seededRandom(seed);
  return () => 1 + Math.floor(random() * 6);
};

/** A logger that records warn and info messages. */
function recordingLogger(): { logger: Logger; warn: string[]; info: string[] } {
  const warn: string[] = [];
  const info: string[] = [];
  const logger = { warn: (_: unknown, msg: string) => warn.push(msg), info: (_: unknown, msg: string) => info.push(msg) } as unknown as Logger;
  return { logger, warn, info };
}

describe('adaptive batching where it breaks', () => {
  beforeEach(() => {
    vi.useFakeTimers(FAKE_TIMERS);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fixed cost above the objective: 64 closed-loop clients are never refused, batches stay big, and the state is reported once', async () => {
    const log = recordingLogger();
    const sim = new Simulation(2, line(150, 0.1), { latencySloMs: 100, logger: log.logger });
    await warmUp(sim);
    expect(sim.engine.state.objectiveFeasible).toBe(false);
    expect(sim.engine.batchCap).toBe(1024);
    const before = sim.batches.length;
    const result = await closedLoop(sim, 64, 5_000);
    expect(result.refused).toBe(0);
    const batches = sim.batches.slice(before);
    expect(batches.reduce((a, b) => a + b, 0) / batches.length).toBeGreaterThanOrEqual(16);
    expect(log.warn).toHaveLength(1);
    expect(log.warn[0]).toMatch(/cannot be met/);
  });

  it('fixed cost above the objective: one 4096-row request goes out in at most 8 batches', async () => {
    const sim = new Simulation(2, line(150, 0.1), { latencySloMs: 100, maxQueueRows: 65_536 });
    await warmUp(sim);
    const before = sim.batches.length;
    const answer = sim.engine.submit(Array.from({ length: 4096 }, (_, x) => ({ x })), opts);
    await sim.runToIdle();
    await expect(answer).resolves.toHaveLength(4096);
    expect(sim.batches.length - before).toBeLessThanOrEqual(8);
  });

  // Closed-loop goodput with the objective against the same engine without one,
  // for costs of every shape, with and without a wait for fuller batches.
  it.each([
    ['fixed-dominated, infeasible', 150, 0.1],
    ['fixed-dominated, one row just under half the objective', 45, 0.1],
    ['per-row-dominated', 1, 2],
    ['mixed', 25, 2],
    ['census on a quiet machine', 12, 0.04],
    ['census on a busy machine', 60, 0.2],
    ['census on a very busy machine', 80, 0.2],
    ['census on a machine shared four ways', 40, 0.4],
  ])('%s (%d ms + %d ms/row): closed-loop goodput at least 0.9 of that with no objective', async (_, fixedMs, perRowMs) => {
    for (const maxBatchWaitMs of [0, 20]) {
      const run = async (latencySloMs: number | undefined) => {
        const sim = new Simulation(2, line(fixedMs, perRowMs), { latencySloMs, maxBatchWaitMs });
        await warmUp(sim);
        return closedLoop(sim, 64, 10_000, { roundTripMs: spreadRoundTrip(7) });
      };
      const withObjective = await run(100);
      const without = await run(undefined);
      expect(without.refused).toBe(0);
      expect(withObjective.goodput / without.goodput, `maxBatchWaitMs ${maxBatchWaitMs}`).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('closed-loop callers of a model whose every batch costs the same form one batch per worker, not more groups', async () => {
    // 150 ms a batch whatever its size: 64 callers in two groups of 32 get
    // ~400 answers a second; split into four groups of 16 (an idle worker
    // leaving with the first callers back while the rest are still on their
    // way) they get half that, and such groups never merge again by themselves.
    for (const latencySloMs of [100, undefined]) {
      const sim = new Simulation(2, line(150, 0.1), { latencySloMs });
      await warmUp(sim);
      const before = sim.batches.length;
      const result = await closedLoop(sim, 64, 10_000, { roundTripMs: spreadRoundTrip(1) });
      const batches = sim.batches.slice(before);
      expect(result.refused).toBe(0);
      expect(batches.reduce((a, b) => a + b, 0) / batches.length, `objective ${latencySloMs}`).toBeGreaterThanOrEqual(28);
      expect(result.goodput, `objective ${latencySloMs}`).toBeGreaterThanOrEqual(340);
    }
  });

  it('64 closed-loop clients are never refused when the floor keeps batches past a feasible objective\'s cap (12 ms + 1.2 ms/row)', async () => {
    // 31 rows fit in 50 ms, at 76 % of a full batch's throughput: feasible
    // when the objective may cost half the throughput. 64 callers come back
    // as two groups of 32 (50.4 ms), which the floor sends whole rather than
    // leave one row of each to a batch of its own.
    for (const maxBatchWaitMs of [0, 20]) {
      const sim = new Simulation(2, line(12, 1.2), { latencySloMs: 100, latencySloMaxCost: 0.5, maxBatchWaitMs });
      await warmUp(sim);
      expect(sim.engine.state.objectiveFeasible).toBe(true);
      const before = sim.batches.length;
      const result = await closedLoop(sim, 64, 3_000);
      expect(result.refused, `maxBatchWaitMs ${maxBatchWaitMs}`).toBe(0);
      expect(Math.max(...sim.batches.slice(before)), `maxBatchWaitMs ${maxBatchWaitMs}`).toBeGreaterThan(31);
    }
  });

  it('a fixed cost just under half the objective (45 ms + 0.4 ms/row) counts as infeasible, and 64 closed-loop clients are never refused', async () => {
    // One row fits in 50 ms, but the 12 rows that do serve 11 % of what a
    // full batch does: under overload, holding every batch to them would
    // refuse nine rows in ten the workers could have served.
    for (const maxBatchWaitMs of [0, 20]) {
      const log = recordingLogger();
      const sim = new Simulation(2, line(45, 0.4), { latencySloMs: 100, maxBatchWaitMs, logger: log.logger });
      await warmUp(sim);
      expect(sim.engine.state.objectiveFeasible).toBe(false);
      expect(log.warn.at(-1)).toMatch(/under 90 % of what full batches do/);
      const result = await closedLoop(sim, 64, 3_000);
      expect(result.refused, `maxBatchWaitMs ${maxBatchWaitMs}`).toBe(0);
    }
  });

  it('per-row-dominated cost: the cap fits half the objective and excess work is refused', async () => {
    const sim = new Simulation(2, line(1, 2), { latencySloMs: 100 });
    await warmUp(sim);
    expect(sim.engine.state.objectiveFeasible).toBe(true);
    expect(sim.engine.batchCap).toBe(24);
    const result = await closedLoop(sim, 64, 2_000);
    expect(result.refused).toBeGreaterThan(0);
    expect([...result.refusalCodes]).toEqual(['GW_ERR_OVERLOADED']);
    expect(Math.max(...sim.batches.slice(-20))).toBeLessThanOrEqual(24);
  });

  it('follows a cost that jumps up and back down within seconds, reporting each change once', async () => {
    const log = recordingLogger();
    let slow = false;
    // Quiet, the objective costs 1 % of the throughput (900 of 1024 rows fit in 50 ms).
    const sim = new Simulation(2, (rows) => (slow ? 200 + 0.2 * rows : 5 + 0.05 * rows), { latencySloMs: 100, logger: log.logger });
    await warmUp(sim);
    expect(sim.engine.state.objectiveFeasible).toBe(true);
    const quietCap = sim.engine.batchCap;
    expect(quietCap).toBeGreaterThan(500);

    // A noisy neighbour: every batch now costs 200 ms or more.
    slow = true;
    const hogStarted = sim.now;
    await closedLoop(sim, 64, 3_000);
    expect(sim.engine.state.objectiveFeasible).toBe(false);
    expect(sim.engine.state.cost!.fixedMs).toBeGreaterThan(150);
    expect(log.warn).toHaveLength(1);

    // The neighbour stops: within a few seconds the objective is met again.
    slow = false;
    const result = await closedLoop(sim, 64, 3_000);
    expect(result.refused).toBe(0);
    expect(sim.engine.state.objectiveFeasible).toBe(true);
    expect(sim.engine.state.cost!.fixedMs).toBeLessThan(20);
    expect(log.info).toHaveLength(1);
    expect(sim.now - hogStarted).toBeLessThan(10_000);
  });

  it('does not call the objective infeasible from full batches alone, whose one-row cost it cannot know', async () => {
    // Overload on a busier machine: every batch is a full 1024 rows and takes 120 ms.
    const sim = new Simulation(1, () => 120, { latencySloMs: 100, maxBatchRows: 1024 });
    for (let i = 0; i < 10; i++) {
      void sim.engine.submit(Array.from({ length: 1024 }, (_, x) => ({ x })), { ...opts, maxWaitMs: 600_000 });
      await sim.runToIdle();
    }
    expect(sim.engine.state.cost).toMatchObject({ perRowMs: 0, sameSizeRows: 1024 });
    expect(sim.engine.state.objectiveFeasible).toBeUndefined();
  });

  it('open-loop overload at twice capacity is refused at once, and accepted rows are answered within the objective', async () => {
    const sim = new Simulation(2, line(10, 0.05), { latencySloMs: 100 });
    await warmUp(sim);
    // Capacity: two workers at the cap's batch of (50 - 10) / 0.05 = 800 rows in 50 ms = 32 rows/ms.
    const result = await openLoop(sim, 64, 2_000);
    expect(result.refused / (result.latencies.length + result.refused)).toBeGreaterThan(0.3);
    expect(result.quantile(0.99)).toBeLessThanOrEqual(100);
  });

  it('after a cold start that looked infeasible, open-loop overload of full batches still finds the objective feasible and holds it', async () => {
    // The first second's batches are slow (cold caches): one row looks like
    // 150 ms, so the objective is called infeasible and batches go full. Under
    // overload every batch is then a full 1,024 rows (61 ms, over the 50 ms
    // budget): batches all of one size say nothing about one row, and the
    // state must still recover, or the gateway queues for throughput forever.
    const coldUntil = performance.now() + 1_000;
    const sim = new Simulation(2, (rows, at) => (at < coldUntil ? 150 + 0.3 * rows : 10 + 0.05 * rows), { latencySloMs: 100 });
    await warmUp(sim);
    expect(sim.engine.state.objectiveFeasible).toBe(false);
    // Twice capacity (32 rows/ms at the objective's 800-row batches), in
    // 4-row requests; judged once the cold batches are forgotten (the line
    // takes a few seconds to straighten: full batches carry no slope).
    const result = await openLoop(sim, 16, 8_000, 6_000, { rowsPerRequest: 4 });
    expect(sim.engine.state.objectiveFeasible).toBe(true);
    expect(result.refused).toBeGreaterThan(0);
    expect(result.quantile(0.99)).toBeLessThanOrEqual(100);
  });

  it('a model whose objective fits fewer rows than a quarter of maxBatchRows: allowed to cost half the throughput, with maxBatchRows at four times that, open-loop overload is answered within the objective', async () => {
    // 14 ms + 0.4 ms/row: (50 - 14) / 0.4 = 90 rows fit, 79 % of what 360-row
    // batches serve; at 360 the deep-queue bound is those 90 rows (README,
    // "Overload", the --max-batch-rows workaround).
    const sim = new Simulation(2, line(14, 0.4), { latencySloMs: 100, latencySloMaxCost: 0.5, maxBatchRows: 360 });
    await warmUp(sim);
    const closed = await closedLoop(sim, 64, 3_000);
    expect(closed.refused).toBe(0);
    const result = await openLoop(sim, 6, 8_000, 2_000);
    expect(result.refused).toBeGreaterThan(0);
    expect(result.quantile(0.99)).toBeLessThanOrEqual(100);
    expect(result.goodput).toBeGreaterThanOrEqual(0.9 * closed.goodput);
  });

  it('sustained overload of full batches after a steep cold start: the objective is found feasible again, not locked infeasible', async () => {
    // Cold (the first second): 150 ms + 0.3 ms/row, so the objective reads as
    // infeasible and batches are sized for throughput. Then 10 ms + 0.14 ms/row
    // (a full batch 153 ms), offered more than full batches answer: every
    // batch is full, and from batches of one size the line kept reading one
    // row at 68 ms (the cold line's steep shape), so the objective stayed
    // infeasible and accepted rows were answered 300 ms late. (The warm
    // line's objective costs 15 % of the throughput: allowed here.)
    const coldUntil = performance.now() + 1_000;
    const sim = new Simulation(2, (rows, at) => (at < coldUntil ? 150 + 0.3 * rows : 10 + 0.14 * rows), { latencySloMs: 100, latencySloMaxCost: 0.5 });
    await warmUp(sim);
    expect(sim.engine.state.objectiveFeasible).toBe(false);
    let during: typeof sim.engine.state | undefined;
    const result = await openLoop(sim, 4, 8_000, 6_000, { rowsPerRequest: 4, onMeasureStart: () => (during = sim.engine.state) });
    expect(during!.objectiveFeasible).toBe(true);
    expect(during!.cost!.fixedMs + during!.cost!.perRowMs).toBeLessThan(20);
    expect(result.refused).toBeGreaterThan(0);
    expect(result.quantile(0.99)).toBeLessThanOrEqual(100);
  });

  it('batches whose times scatter (a shared machine): open-loop overload is answered within the objective, not only on average', async () => {
    // 10 ms + 0.05 ms/row, and three batches in ten run up to 40 ms longer
    // (preempted): a full batch takes 61–101 ms, 67 on average, so two
    // workers serve about 30,500 rows/s. With a 200-ms objective admission
    // queues several rounds of full batches; planned with the average batch
    // it put a third of the accepted answers past the objective, planned
    // with the slow ones (the line's slow margin) it keeps them within it,
    // and gives up no throughput.
    const random = seededRandom(5);
    const sim = new Simulation(2, (rows) => 10 + 0.05 * rows + (random() < 0.3 ? 40 * random() : 0), { latencySloMs: 200 });
    await warmUp(sim);
    const result = await openLoop(sim, 9, 8_000, 3_000, { rowsPerRequest: 8 });
    expect(sim.engine.state.cost!.slowMarginMs).toBeGreaterThan(10);
    expect(result.refused).toBeGreaterThan(0);
    expect(result.lateShare(200)).toBeLessThan(0.02);
    const capacity = (2 * 1024) / (10 + 0.05 * 1024 + 6);
    expect((8 * result.goodput) / 1000).toBeGreaterThan(0.9 * capacity);
  });

  it('batches whose times scatter do not make a closed loop of 64 × 32-row clients refused (a per-row-dominated model, ONNX-like)', async () => {
    // 0.2 ms + 0.03 ms/row, and three batches in ten up to 30 ms longer:
    // full batches (31 ms on the line) fit half the 100-ms objective, so the
    // whole closed loop (2,048 rows) rides the next round. Shrinking batches
    // for the slow margin made that round smaller and refused the clients,
    // who came straight back: on the bench, 16–17k rows/s with 30,000
    // refused instead of 32–33k.
    const random = seededRandom(9);
    const sim = new Simulation(2, (rows) => 0.2 + 0.03 * rows + (random() < 0.3 ? 30 * random() : 0), { latencySloMs: 100 });
    await warmUp(sim);
    const result = await closedLoop(sim, 64, 3_000, { rowsPerRequest: 32 });
    expect(sim.engine.state.cost!.slowMarginMs).toBeGreaterThan(5);
    expect(result.refused).toBe(0);
  });

  for (const [fixedMs, perRowMs] of [[25, 0.1], [30, 0.1], [34, 0.027]] as const) {
    it(`an objective that would cost over a tenth of the throughput (${fixedMs} ms + ${perRowMs} ms/row) is reported, not enforced: 64 closed-loop clients of 32 rows keep 90 % of their goodput without it`, async () => {
      // The batches that fit in half of 100 ms serve 52–71 % of what full
      // batches do. Enforced, a closed loop deeper than one round of them was
      // taken for overload and held to them: 0.60–0.84 of its goodput
      // (npm run bench:sims, bench/RESULTS.md). The gateway cannot tell such
      // clients, whose refused requests come straight back, from open-loop
      // overload; it batches for throughput and says why.
      const goodput: number[] = [];
      for (const latencySloMs of [100, undefined]) {
        const log = recordingLogger();
        const sim = new Simulation(2, line(fixedMs, perRowMs), { latencySloMs, logger: log.logger });
        await warmUp(sim);
        const result = await closedLoop(sim, 64, 3_000, { rowsPerRequest: 32, roundTripMs: spreadRoundTrip(3) });
        goodput.push(result.goodput);
        if (latencySloMs === undefined) continue;
        expect(sim.engine.state).toMatchObject({ objectiveFeasible: false, objectiveInfeasibleReason: 'efficiency' });
        expect(log.warn).toEqual([expect.stringMatching(/would serve under 90 % of what full batches do/)]);
      }
      expect(goodput[0]! / goodput[1]!).toBeGreaterThanOrEqual(0.9);
    });
  }

  it('a request larger than the queue can ever hold gets a non-retriable 413-class error naming the limit', async () => {
    const sim = new Simulation(1, line(1, 0), { maxQueueRows: 100 });
    const refused = await sim.engine.submit(Array.from({ length: 101 }, () => ({})), opts).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TooManyRowsError);
    expect(refused).toMatchObject({ retriable: false, limitRows: 100 });
  });

  it('refuses settings that contradict each other, changing nothing', () => {
    const sim = new Simulation(1, line(1, 0), { maxQueueRows: 10_000, maxBatchRows: 512, maxRequestRows: 4096 });
    expect(() => sim.engine.tune({ maxBatchRows: 20_000 })).toThrow(ValidationError);
    expect(() => sim.engine.tune({ maxQueueRows: 1000 })).toThrow(ValidationError);
    try {
      sim.engine.tune({ maxQueueRows: 100 });
    } catch (error) {
      expect((error as ValidationError).issues.map((i) => i.field)).toEqual(['maxQueueRows', 'maxQueueRows']);
    }
    expect(sim.engine.state.settings).toMatchObject({ maxQueueRows: 10_000, maxBatchRows: 512 });
    expect(sim.engine.tune({ maxQueueRows: 5000 }).settings.maxQueueRows).toBe(5000);
  });
});
