import { describe, expect, it } from 'vitest';
import { leastInFlight } from '../../../src/backends/least-in-flight.js';
import { restartBackoffMs } from '../../../src/backends/restart-backoff.js';

const w = (slot: number, inFlight: number, state = 'ready') => ({ slot, inFlight, state });

describe('leastInFlight', () => {
  it('picks the ready worker with the fewest batches, lowest slot on ties', () => {
    expect(leastInFlight([w(0, 2), w(1, 1), w(2, 1)], 4)?.slot).toBe(1);
  });

  it('skips workers that are not ready or full', () => {
    expect(leastInFlight([w(0, 0, 'starting'), w(1, 1), w(2, 0, 'exited')], 1)).toBeUndefined();
    expect(leastInFlight([undefined, w(1, 0)], 1)?.slot).toBe(1);
  });
});

describe('restartBackoffMs', () => {
  it('doubles from 100 ms and caps at 10 s', () => {
    expect([0, 1, 2, 3, 10, 50].map((n) => restartBackoffMs(n))).toEqual([100, 200, 400, 800, 10_000, 10_000]);
  });
});
