import { batchBudgetMs } from './batch-cap.js';
import { rowsWithin, type CostFit } from './cost-model.js';

/**
 * The default of `latencySloMaxCost`: the most throughput the objective may
 * cost before it counts as infeasible. Honouring an objective holds batches
 * to what fits in half of it; when those batches serve under
 * `1 − latencySloMaxCost` of what full batches do, honouring it would refuse
 * work the workers could serve, and the gateway cannot tell a closed loop of
 * batch clients (whose refused requests come straight back, and which lose
 * that throughput) from open-loop overload (which is refused in time).
 *
 * At 0.1, closed loops of 64 × 32-row clients keep 1.00–1.13 of their goodput
 * without an objective across nine batch costs, where 0.5 held those in
 * between to 0.60–0.87 (`npm run bench:sims`); the price is that open-loop
 * overload of such a model is answered at the latency of full batches. Users whose traffic is
 * open-loop and who want the objective kept at a higher price raise it (0.5
 * holds the accepted answers in time down to half the throughput).
 */
export const DEFAULT_LATENCY_SLO_MAX_COST = 0.1;
/** Feasible again only at this much more efficiency (hysteresis, as {@link RECOVER_BELOW}). */
const RECOVER_MARGIN = 0.05;
/** A one-row batch must cost at most this share of its budget before an infeasible objective counts as met again. */
const RECOVER_BELOW = 0.8;
/**
 * And both must have held this long. On a machine whose cores are shared
 * with the load (the bench's client beside the gateway and its workers) the
 * learned one-row cost read anywhere from 34 to 47 ms within one 40-s run:
 * without a dwell, 64 closed-loop clients of 32 rows saw the state turn nine
 * times in 13 s, and each feasible spell capped their batches and refused
 * some of them.
 */
export const RECOVER_AFTER_MS = 1_000;

/** Why the objective is infeasible, for the one log line that says so. */
export type InfeasibleReason = 'one-row' | 'efficiency';

/** Each reason in words, for that log line, under the `latencySloMaxCost` it was judged by. */
export function infeasibleBecause(reason: InfeasibleReason, maxCost: number): string {
  if (reason === 'one-row') return 'a one-row batch takes over half of it';
  return `the batches that fit in half of it would serve under ${Math.round((1 - maxCost) * 100)} % of what full batches do`;
}

/** The state as it turned, with the figures it was judged on. */
export interface FeasibilityChange {
  readonly feasible: boolean;
  /** Set when `feasible` is false. */
  readonly reason: InfeasibleReason | undefined;
  readonly oneRowMs: number;
  /** See {@link objectiveEfficiency}. */
  readonly efficiency: number;
}

/**
 * Throughput of the largest batch that fits in `budgetMs` over that of a full
 * batch (`maxBatchRows`), by the learned line: 1 when a full batch fits, 0
 * when not even one row does.
 */
export function objectiveEfficiency(fit: CostFit, budgetMs: number, maxBatchRows: number): number {
  const fits = rowsWithin(fit, budgetMs);
  if (fits >= maxBatchRows) return 1;
  if (fits === 0) return 0;
  const rate = (rows: number): number => rows / (fit.fixedMs + fit.perRowMs * rows);
  return rate(fits) / rate(maxBatchRows);
}

/**
 * Whether the latency objective can be met by this model on this machine
 * now, at a price worth paying.
 * - A row that arrives just as a batch starts waits for that batch and then
 *   rides the next, so a one-row batch must fit in half the objective (the
 *   same budget the batch cap is sized to). When it does not, no batch size
 *   meets the objective under any load.
 * - And the batches that fit in that budget must keep at least
 *   `1 − maxCost` of a full batch's throughput (see
 *   {@link DEFAULT_LATENCY_SLO_MAX_COST}). Without this, a fixed cost just
 *   under the budget was the worst place to be: a cap of a few rows under
 *   overload, most of the machine refused, while a fixed cost just over it
 *   batched for throughput. The price of the objective is bounded by the
 *   user's setting instead of growing without limit as the fixed cost nears
 *   the budget.
 * When it is not feasible, batching for throughput gives every caller a
 * better answer than capping for latency.
 *
 * Kept with hysteresis so that a cost hovering at a limit does not flip the
 * state (and its log line) on every batch: infeasible past either limit,
 * feasible again only well inside both, for a second on end.
 */
export class ObjectiveFeasibility {
  #feasible: boolean | undefined;
  #reason: InfeasibleReason | undefined;
  /** While infeasible: since when the line has read feasible again (see {@link RECOVER_AFTER_MS}). */
  #recoveringSince: number | undefined;
  /** The settings the state was last judged under: a change is judged afresh, without hysteresis. */
  #judgedSloMs: number | undefined;
  #judgedMaxBatchRows: number | undefined;
  #judgedMaxCost: number | undefined;

  /** `undefined` without an objective or while the cost model warms up. */
  get current(): boolean | undefined {
    return this.#feasible;
  }

  /** Why it is infeasible (`undefined` while it is not). */
  get reason(): InfeasibleReason | undefined {
    return this.#feasible === false ? this.#reason : undefined;
  }

  /**
   * Re-evaluates; returns the change when this is news worth one log line:
   * the objective turned infeasible, or turned feasible again after being
   * infeasible. `undefined` otherwise.
   */
  update(fit: CostFit | undefined, latencySloMs: number | undefined, maxBatchRows: number, now: number, maxCost = DEFAULT_LATENCY_SLO_MAX_COST): FeasibilityChange | undefined {
    const previous = this.#feasible;
    if (fit === undefined || latencySloMs === undefined) {
      this.#feasible = undefined;
      this.#recoveringSince = undefined;
      return undefined;
    }
    // Every recent batch held the same many rows and no slope was ever
    // learned: the cost of one row is unknown, so the state stays as it was.
    // (With a remembered slope it is estimated, see CostModel.)
    if (fit.sameSizeRows !== undefined && fit.sameSizeRows > 1 && fit.slopeRemembered !== true) return undefined;
    const oneRowMs = fit.fixedMs + fit.perRowMs;
    const budgetMs = batchBudgetMs(latencySloMs);
    const efficiency = objectiveEfficiency(fit, budgetMs, maxBatchRows);
    // Hysteresis keeps a hovering cost from flapping; a setting changed by
    // the user (PATCH /admin/config) is judged at once by its own limits.
    const sameSettings = latencySloMs === this.#judgedSloMs && maxBatchRows === this.#judgedMaxBatchRows && maxCost === this.#judgedMaxCost;
    this.#judgedSloMs = latencySloMs;
    this.#judgedMaxBatchRows = maxBatchRows;
    this.#judgedMaxCost = maxCost;
    const recovering = previous === false && sameSettings;
    const oneRowFits = oneRowMs <= (recovering ? RECOVER_BELOW : 1) * budgetMs;
    const leastEfficiency = 1 - maxCost;
    const efficient = efficiency >= (recovering ? Math.min(1, leastEfficiency + RECOVER_MARGIN) : leastEfficiency);
    let next = oneRowFits && efficient;
    if (recovering) {
      this.#recoveringSince = next ? (this.#recoveringSince ?? now) : undefined;
      next = next && now - this.#recoveringSince! >= RECOVER_AFTER_MS;
    }
    if (next) this.#recoveringSince = undefined;
    this.#feasible = next;
    if (!next) this.#reason = oneRowFits ? 'efficiency' : 'one-row';
    const news = next ? previous === false : previous !== false;
    return news ? { feasible: next, reason: this.reason, oneRowMs, efficiency } : undefined;
  }
}
