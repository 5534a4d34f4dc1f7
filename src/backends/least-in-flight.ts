/** Anything with a count of outstanding work and a readiness flag. */
export interface Loaded {
  readonly inFlight: number;
  readonly state: string;
}

/**
 * The ready worker with the fewest batches in flight, below `maxInFlight`;
 * ties go to the lowest slot so that an idle pool keeps reusing warm workers.
 */
export function leastInFlight<W extends Loaded>(workers: Iterable<W | undefined>, maxInFlight: number): W | undefined {
  let best: W | undefined;
  for (const worker of workers) {
    if (worker === undefined || worker.state !== 'ready' || worker.inFlight >= maxInFlight) continue;
    if (best === undefined || worker.inFlight < best.inFlight) best = worker;
    if (best.inFlight === 0) break;
  }
  return best;
}
