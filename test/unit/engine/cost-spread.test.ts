import { describe, expect, it } from 'vitest';
import { CostModel } from '../../../src/engine/cost-model.js';
import { CostSpread } from '../../../src/engine/cost-spread.js';

describe('CostSpread', () => {
  it('is 1 while batches take what was predicted, or less', () => {
    const spread = new CostSpread();
    for (let i = 0; i < 100; i++) spread.add(i % 2 === 0 ? 10 : 8, 10);
    expect(spread.factor).toBe(1);
  });

  it('is the 90th percentile of measured over predicted', () => {
    const spread = new CostSpread();
    // 64 batches: 50 on time, 14 at twice their prediction: more than one in ten ran twice as long.
    for (let i = 0; i < 64; i++) spread.add(i < 50 ? 10 : 20, 10);
    expect(spread.factor).toBe(2);
    // Fewer than one in ten slow: the on-time batches set it.
    const calm = new CostSpread();
    for (let i = 0; i < 64; i++) calm.add(i < 60 ? 10 : 20, 10);
    expect(calm.factor).toBe(1);
  });

  it('forgets a burst of slow batches once 64 others have run', () => {
    const spread = new CostSpread();
    for (let i = 0; i < 64; i++) spread.add(30, 10);
    expect(spread.factor).toBe(3);
    for (let i = 0; i < 64; i++) spread.add(10, 10);
    expect(spread.factor).toBe(1);
  });

  it('is held at 3, and ignores batches with no prediction', () => {
    const spread = new CostSpread();
    for (let i = 0; i < 64; i++) spread.add(1000, 10);
    spread.add(5, 0);
    expect(spread.factor).toBe(3);
  });
});

describe('CostModel tail factor', () => {
  it('is 1 for batches that follow the line exactly, and grows when some run long', () => {
    const exact = new CostModel();
    for (let i = 0; i < 200; i++) exact.observe(1 + (i % 50), 10 + 0.1 * (1 + (i % 50)), i * 10);
    expect(exact.fit?.tailFactor).toBeCloseTo(1, 6);
    const noisy = new CostModel();
    for (let i = 0; i < 200; i++) noisy.observe(1 + (i % 50), (10 + 0.1 * (1 + (i % 50))) * (i % 5 === 0 ? 2 : 1), i * 10);
    expect(noisy.fit?.tailFactor).toBeGreaterThan(1.3);
  });
});
