import { describe, expect, it } from 'vitest';
import { PartitionPicker } from '../../../src/forward/partition-picker.js';

function picker(count: number) {
  let now = 0;
  const p = new PartitionPicker({ avoidMs: 10_000, now: () => now });
  p.count = count;
  return { p, advance: (ms: number) => (now += ms) };
}

describe('PartitionPicker', () => {
  it('spreads first sends round-robin over the partitions', () => {
    const { p } = picker(4);
    expect(Array.from({ length: 8 }, () => p.first())).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
  });

  it('retries elsewhere and avoids the partition left behind until it answers or the avoidance lapses', () => {
    const { p, advance } = picker(4);
    const retried = p.retry(2);
    expect(retried).not.toBe(2);
    expect(new Set(Array.from({ length: 12 }, () => p.first()))).toEqual(new Set([0, 1, 3]));
    advance(10_000);
    expect(new Set(Array.from({ length: 12 }, () => p.first()))).toEqual(new Set([0, 1, 2, 3]));
    p.retry(1);
    p.answered(1);
    expect(new Set(Array.from({ length: 12 }, () => p.first()))).toEqual(new Set([0, 1, 2, 3]));
  });

  it('still sends when every partition is avoided: round-robin for first sends, another partition for a retry', () => {
    const { p } = picker(2);
    p.retry(0);
    expect(p.retry(1)).toBe(0);
    expect(new Set(Array.from({ length: 4 }, () => p.first()))).toEqual(new Set([0, 1]));
    const one = picker(1).p;
    expect(one.retry(0)).toBe(0);
  });
});
