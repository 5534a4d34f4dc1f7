/** What a killed Python process cost a streaming system, from what its output topic showed. */
export interface FaultSummary {
  readonly produced: number;
  /** Distinct keys answered by the end of the wait. */
  readonly answered: number;
  /** Inputs never answered: produced minus answered. */
  readonly lost: number;
  /** Results read beyond one per key. */
  readonly duplicates: number;
  /** Longest pause in the output from the kill on (the kill counts as its start); null if nothing came after it. */
  readonly stallMs: number | null;
  /** From the kill to the first result after that pause: when results flowed again. */
  readonly flowingAgainAfterMs: number | null;
}

/**
 * Summarises a fault run: `arrivals` are the read times (epoch ms, in order)
 * of every result, duplicates included; `killAtMs` when the process was killed.
 */
export function summariseFault(produced: number, answered: number, arrivals: readonly number[], killAtMs: number): FaultSummary {
  let previous = killAtMs;
  let stall: number | null = null;
  let resumedAt: number | null = null;
  for (const at of arrivals) {
    if (at < killAtMs) continue;
    const gap = at - previous;
    if (stall === null || gap > stall) {
      stall = gap;
      resumedAt = at;
    }
    previous = at;
  }
  return {
    produced,
    answered,
    lost: produced - answered,
    duplicates: arrivals.length - answered,
    stallMs: stall,
    flowingAgainAfterMs: resumedAt === null ? null : resumedAt - killAtMs,
  };
}
