import { describe, expect, it } from 'vitest';
import { PartitionLane } from '../../../src/kafka/partition-lane.js';

describe('PartitionLane', () => {
  it('hands out only the completed prefix, in offset order', () => {
    const lane = new PartitionLane<string, string>();
    const [a, b, c] = [0n, 1n, 2n].map((offset) => lane.admit(`m${offset}`, offset, 1)!);
    c!.output = 'c';
    expect(lane.takeReady()).toEqual([]);
    a!.output = 'a';
    expect(lane.takeReady().map((e) => e.output)).toEqual(['a']);
    b!.output = 'b';
    expect(lane.takeReady().map((e) => e.output)).toEqual(['b', 'c']);
    expect(lane.size).toBe(0);
  });

  it('respects the take limit and keeps the rest', () => {
    const lane = new PartitionLane<number, number>();
    for (let i = 0; i < 5; i++) lane.admit(i, BigInt(i), 1)!.output = i;
    expect(lane.takeReady(2).map((e) => e.output)).toEqual([0, 1]);
    expect(lane.size).toBe(3);
    expect(lane.takeReady().map((e) => e.output)).toEqual([2, 3, 4]);
  });

  it('refuses re-deliveries of offsets already admitted (a rebalance re-fetches from the committed offset)', () => {
    const lane = new PartitionLane<string, string>();
    lane.admit('m5', 5n, 1);
    lane.admit('m6', 6n, 1);
    expect(lane.admit('m5 again', 5n, 2)).toBeUndefined();
    expect(lane.admit('m6 again', 6n, 2)).toBeUndefined();
    expect(lane.admit('m7', 7n, 2)).toBeDefined();
    expect(lane.size).toBe(3);
  });

  it('refuses messages fetched in a generation before the lane was made', () => {
    const lane = new PartitionLane<string, string>(4);
    expect(lane.admit('stale', 10n, 3)).toBeUndefined();
    expect(lane.admit('fresh', 2n, 4)).toBeDefined();
  });

  it('stays correct across compaction of a long lane', () => {
    const lane = new PartitionLane<number, number>();
    let next = 0;
    for (let i = 0; i < 5000; i++) {
      lane.admit(i, BigInt(i), 1)!.output = i;
      if (i % 7 === 0) for (const entry of lane.takeReady()) expect(entry.output).toBe(next++);
    }
    for (const entry of lane.takeReady()) expect(entry.output).toBe(next++);
    expect(next).toBe(5000);
  });
});
