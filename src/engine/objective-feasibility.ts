import type { CostFit } from './cost-model.js';

/** A one-row batch must cost at most this share of the objective before an infeasible objective counts as met again. */
const RECOVER_BELOW = 0.8;

/**
 * Whether the latency objective can be met at all by this model on this
 * machine now: a batch of one row must fit in it by the learned cost.
 *
 * Kept with hysteresis so that a cost hovering at the objective does not flip
 * the state (and its log line) on every batch: it turns infeasible when one
 * row costs more than the objective and feasible again only below 80 % of it.
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
    const oneRowMs = fit.fixedMs + fit.perRowMs;
    const next = previous === false ? oneRowMs <= RECOVER_BELOW * latencySloMs : oneRowMs <= latencySloMs;
    this.#feasible = next;
    return next ? previous === false : previous !== false;
  }
}
