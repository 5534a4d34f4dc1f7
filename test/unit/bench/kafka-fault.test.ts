import { describe, expect, it } from 'vitest';
import { summariseFault } from '../../../bench/lib/kafka-fault.js';

describe('summariseFault', () => {
  it('counts lost and duplicated results', () => {
    const summary = summariseFault(5, 4, [10, 11, 12, 13, 14, 15], 12);
    expect(summary.lost).toBe(1);
    expect(summary.duplicates).toBe(2);
  });

  it('finds the longest pause from the kill on, the kill itself being its start', () => {
    // Killed at 100: results at 101 and 102, then nothing until 2102.
    const summary = summariseFault(4, 4, [50, 101, 102, 2102], 100);
    expect(summary.stallMs).toBe(2000);
    expect(summary.flowingAgainAfterMs).toBe(2002);
  });

  it('counts a silence right after the kill', () => {
    const summary = summariseFault(3, 3, [90, 5100, 5101], 100);
    expect(summary.stallMs).toBe(5000);
    expect(summary.flowingAgainAfterMs).toBe(5000);
  });

  it('reports no recovery when nothing came after the kill', () => {
    const summary = summariseFault(3, 1, [90], 100);
    expect(summary).toMatchObject({ lost: 2, stallMs: null, flowingAgainAfterMs: null });
  });
});
