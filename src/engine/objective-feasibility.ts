import type { CostFit } from './cost-model.js';

/** A one-row batch must cost at most this share of its budget before an infeasible objective counts as met again. */
const RECOVER_BELOW = 0.8;

/**
 * Whether the latency objective can be met by this model on this machine now.
 * A row that arrives just as a batch starts waits for that batch and then
 * rides the next, so the objective is feasible when a one-row batch fits in
 * half of it (the same budget the batch cap is sized to). When it is not, no
 * batch size meets the objective under any load, and batching for throughput
 * gives every caller a better answer than capping for latency.
 *
 * Kept with hysteresis so that a cost hovering at the limit does not flip the
 * state (and its log line) on every batch: it turns infeasible when one row
 * costs more than half the objective, and feasible again only below 80 % of that.
 */
export class ObjectiveFeasibility {
  #feasible: boolean | undefined;

  /** `undefined` without an objective or while the cost model warms up. */
  get current(): boolean | undefined {
    return this.#feasible;
  }

  /**
   * Re-evaluates; returns true when this is news worth one log line: the
   * objective turned infeasible, or turned feasible again after being infeasible.
   */
  update(fit: CostFit | undefined, latencySloMs: number | undefined): boolean {
    const previous = this.#feasible;
    if (fit === undefined || latencySloMs === undefined) {
      this.#feasible = undefined;
      return false;
    }
    // Every recent batch held the same many rows and no slope was ever
    // learned: the cost of one row is unknown, so the state stays as it was.
    // (With a remembered slope it is estimated, see CostModel.)
    if (fit.sameSizeRows !== undefined && fit.sameSizeRows > 1 && fit.slopeRemembered !== true) return false;
    const oneRowMs = fit.fixedMs + fit.perRowMs;
    const budgetMs = latencySloMs / 2;
    const next = previous === false ? oneRowMs <= RECOVER_BELOW * budgetMs : oneRowMs <= budgetMs;
    this.#feasible = next;
    return next ? previous === false : previous !== false;
  }
}
