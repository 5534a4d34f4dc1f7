import { describe, expect, it } from 'vitest';
import { CostModel } from '../../../src/engine/cost-model.js';
import { seededRandom } from '../../helpers/simulation.js';

describe('CostModel', () => {
  it('predicts nothing until it has seen the warm-up batches', () => {
    const cost = new CostModel({ warmup: 3 });
    cost.observe(10, 5);
    cost.observe(20, 6);
    expect(cost.predict(10)).toBeUndefined();
    expect(cost.rowsWithin(50)).toBeUndefined();
    cost.observe(30, 7);
    expect(cost.predict(10)).toBeDefined();
  });

  it('recovers fixed and per-row cost from batches of varied size', () => {
    const cost = new CostModel();
    for (const rows of [1, 16, 64, 256, 1024, 8, 512, 128]) cost.observe(rows, 9 + 0.04 * rows);
    expect(cost.fit!.fixedMs).toBeCloseTo(9, 6);
    expect(cost.fit!.perRowMs).toBeCloseTo(0.04, 6);
    expect(cost.predict(100)).toBeCloseTo(13, 6);
    // (50 - 9) / 0.04 = 1025 rows fit in 50 ms.
    expect(cost.rowsWithin(50)).toBe(1025);
  });

  it('follows a model that gets slower: recent batches outweigh old ones', () => {
    const cost = new CostModel({ decay: 0.9 });
    for (let i = 0; i < 50; i++) cost.observe(1 + (i % 10) * 10, 10 + 0.1 * (1 + (i % 10) * 10));
    for (let i = 0; i < 100; i++) cost.observe(1 + (i % 10) * 10, 20 + 0.2 * (1 + (i % 10) * 10));
    expect(cost.fit!.fixedMs).toBeCloseTo(20, 1);
    expect(cost.fit!.perRowMs).toBeCloseTo(0.2, 2);
  });

  it('takes the whole cost as fixed when every batch had the same size, so bigger batches get tried and measured', () => {
    const cost = new CostModel();
    for (let i = 0; i < 10; i++) cost.observe(1, 16);
    expect(cost.fit).toMatchObject({ fixedMs: 16, perRowMs: 0 });
    expect(cost.predict(1)).toBe(16);
    // Not 32: a model that charged the cost per row would refuse or cap every batch above one row, and never learn better.
    expect(cost.predict(2)).toBe(16);
    for (const rows of [64, 128, 32, 256, 16]) cost.observe(rows, 16 + 0.1 * rows);
    expect(cost.fit!.perRowMs).toBeGreaterThan(0.05);
  });

  it('keeps the line it learned when batches become all one size (full batches under overload), scaled to their cost', () => {
    const cost = new CostModel();
    let now = 0;
    for (const rows of [1, 64, 128, 256, 512]) cost.observe(rows, 10 + 0.05 * rows, (now += 10));
    // A minute later the machine is busier and every batch is full: 1,024 rows at 82 ms.
    now += 60_000;
    for (let i = 0; i < 10; i++) cost.observe(1024, 82, (now += 82));
    expect(cost.fit).toMatchObject({ sameSizeRows: 1024, slopeRemembered: true });
    // The learned line, scaled by the slowdown at this size (82 / 61.2):
    // not 82 ms for one row, nor the whole slowdown put on the fixed cost.
    expect(cost.predict(1024)).toBeCloseTo(82, 3);
    expect(cost.fit!.fixedMs / cost.fit!.perRowMs).toBeCloseTo(200, 6);
    expect(cost.predict(1)).toBeCloseTo(13.5, 1);
  });

  it('uses the remembered line when the recent batches tilt it below zero (slow small batches, then fast big ones)', () => {
    const cost = new CostModel();
    for (const rows of [1, 64, 128, 256, 512]) cost.observe(rows, 10 + 0.05 * rows);
    for (const rows of [8, 16, 32]) cost.observe(rows, 150);
    for (const rows of [700, 900, 1024]) cost.observe(rows, 40);
    expect(cost.fit).toMatchObject({ slopeRemembered: true });
    expect(cost.fit!.fixedMs / cost.fit!.perRowMs).toBeCloseTo(200, 6);
    expect(cost.fit!.fixedMs).toBeGreaterThan(0);
  });

  it('does not take a slope from batches whose times vary far more than their sizes explain (a busy machine)', () => {
    const cost = new CostModel();
    for (const rows of [1, 64, 128, 256, 512]) cost.observe(rows, 10 + 0.04 * rows);
    // Preempted at random: 1 to 20 rows, 10 to 90 ms whatever the size.
    let seed = 7;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let i = 0; i < 200; i++) cost.observe(1 + Math.floor(random() * 20), 10 + 80 * random());
    expect(cost.fit).toMatchObject({ slopeRemembered: true });
    expect(cost.fit!.fixedMs / cost.fit!.perRowMs).toBeCloseTo(250, 6);
    // About the batches' mean time for any of their sizes, not 13 ms a row.
    expect(cost.predict(20)!).toBeLessThan(70);
  });

  it('never fits a negative slope or intercept to noise', () => {
    const cost = new CostModel();
    for (const [rows, ms] of [[1, 12], [100, 10], [200, 11], [300, 9], [400, 10]] as const) cost.observe(rows, ms);
    expect(cost.fit!.perRowMs).toBeGreaterThanOrEqual(0);
    expect(cost.fit!.fixedMs).toBeGreaterThanOrEqual(0);
    const steep = new CostModel();
    for (const [rows, ms] of [[10, 1], [20, 3], [30, 5], [40, 7], [50, 9]] as const) steep.observe(rows, ms);
    expect(steep.fit!.fixedMs).toBeGreaterThanOrEqual(0);
    expect(steep.fit!.perRowMs).toBeGreaterThan(0);
  });
});

describe('CostModel memory in time', () => {
  it('forgets by time as well as by batch: three seconds of slow batches outweigh two hundred fast ones', () => {
    const perBatchOnly = new CostModel({ halfLifeMs: Number.POSITIVE_INFINITY });
    const timed = new CostModel();
    let now = 0;
    for (let i = 0; i < 200; i++) {
      now += 5;
      for (const cost of [perBatchOnly, timed]) cost.observe(1 + (i % 10) * 10, 10 + 0.1 * (1 + (i % 10) * 10), now);
    }
    // A busy neighbour starts: batches become slow, so fewer of them run (one every 200 ms).
    for (let i = 0; i < 15; i++) {
      now += 200;
      const rows = 1 + (i % 8) * 20;
      for (const cost of [perBatchOnly, timed]) cost.observe(rows, 100 + 0.5 * rows, now);
    }
    const slow = 100 + 0.5 * 41;
    expect(timed.predict(41)!).toBeGreaterThan(0.7 * slow);
    expect(perBatchOnly.predict(41)!).toBeLessThan(0.5 * slow);
  });
});

describe('CostModel slow margin: how much longer than the line the slow batches run', () => {
  it('is none on a line the batches follow exactly, and 1.645 standard deviations of their scatter when they do not', () => {
    const exact = new CostModel();
    const noisy = new CostModel();
    const random = seededRandom(7);
    let now = 0;
    for (let i = 0; i < 400; i++) {
      now += 20;
      const rows = 1 + (i % 10) * 50;
      exact.observe(rows, 10 + 0.05 * rows, now);
      // Uniform scatter of ±20 ms: standard deviation 20 / √3 ≈ 11.5 ms.
      noisy.observe(rows, 10 + 0.05 * rows + 40 * (random() - 0.5), now);
    }
    expect(exact.fit!.slowMarginMs ?? 0).toBeLessThan(0.01);
    expect(noisy.fit!.slowMarginMs!).toBeGreaterThan(1.645 * 11.5 * 0.7);
    expect(noisy.fit!.slowMarginMs!).toBeLessThan(1.645 * 11.5 * 1.3);
  });

  it('follows a machine that turns noisy, then quiet again, within seconds', () => {
    const cost = new CostModel();
    const random = seededRandom(11);
    let now = 0;
    const run = (ms: number, scatterMs: number): void => {
      for (const end = now + ms; now < end; ) {
        now += 20;
        const rows = 1 + (Math.floor(now / 20) % 10) * 50;
        cost.observe(rows, 10 + 0.05 * rows + scatterMs * (random() - 0.5), now);
      }
    };
    run(5_000, 0);
    expect(cost.fit!.slowMarginMs ?? 0).toBeLessThan(0.01);
    run(2_000, 40);
    const noisy = cost.fit!.slowMarginMs!;
    expect(noisy).toBeGreaterThan(10);
    // Three quiet seconds later, the noisy batches weigh about 2 % of the sums.
    run(3_000, 0);
    expect(cost.fit!.slowMarginMs ?? 0).toBeLessThan(0.15 * noisy);
  });

  it('counts the scatter of batches all of one size (full batches under overload) about their mean', () => {
    const cost = new CostModel();
    const random = seededRandom(3);
    let now = 0;
    for (let i = 0; i < 200; i++) {
      now += 50;
      cost.observe(1024, 100 + 60 * (random() - 0.5), now);
    }
    expect(cost.fit!.sameSizeRows).toBe(1024);
    // ±30 ms uniform: standard deviation 17.3 ms.
    expect(cost.fit!.slowMarginMs!).toBeGreaterThan(1.645 * 17.3 * 0.7);
    expect(cost.fit!.slowMarginMs!).toBeLessThan(1.645 * 17.3 * 1.3);
  });
});
