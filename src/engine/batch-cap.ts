import { rowsWithin, type CostFit } from './cost-model.js';
import type { ObjectiveFeasibility } from './objective-feasibility.js';

/**
 * The share of throughput a capped batch must keep, compared with one batch of
 * everything queued: the cap never drops below the size at which the fixed
 * cost per batch is amortised this well.
 */
export const MIN_BATCH_EFFICIENCY = 0.9;

/**
 * And never below the size at which the fixed cost is at most this share of a
 * batch's time, so that a small backlog goes out whole instead of leaving a
 * remainder that pays a fixed cost of its own.
 */
export const MAX_FIXED_SHARE = 0.25;

/**
 * A backlog of more than this many objective-sized batches, and more than a
 * quarter of `maxBatchRows`, is overload, where the floor does not apply. (The
 * second bound keeps a closed loop of a few hundred clients, whose queue is
 * never longer than they are many, out of it when the objective's batches are small.)
 * One, not two: with a fixed cost over a quarter of the budget, the floor's
 * batch is longer than the budget, and under overload a backlog held just
 * under two batches kept every batch there, over the objective, and all of
 * one size, so the line could not correct the overestimated fixed cost that
 * made the floor that high.
 */
export const DEEP_QUEUE_BATCHES = 1;
const DEEP_QUEUE_SHARE_OF_MAX = 0.25;

/**
 * Admission refused work this recently (ms): the load is more than the
 * workers can answer in time, whatever the depth of the queue, and the
 * objective's cap holds (see {@link CapInput.overloaded}).
 */
export const OVERLOAD_HOLD_MS = 1000;

export interface CapInput {
  readonly fit: CostFit | undefined;
  readonly maxBatchRows: number;
  readonly latencySloMs: number | undefined;
  /** Rows the cap is asked about: those queued (plus, at admission, the new request's). */
  readonly backlogRows: number;
  /** See {@link ObjectiveFeasibility}; `false` lifts the objective's cap. */
  readonly objectiveFeasible: boolean | undefined;
  /**
   * Admission refused work within {@link OVERLOAD_HOLD_MS}: overload, where
   * the floor does not apply. The queue's depth alone cannot say so, since
   * admission keeps it within about one round of floor-sized batches: a
   * model whose objective fits fewer rows than the deep-queue bound would
   * otherwise stay in the floor's regime under any overload, with every
   * batch longer than the budget and nearly every accepted row late.
   * (A closed loop within one round is never refused, so it never gets here.)
   */
  readonly overloaded?: boolean;
}

/**
 * Most rows the next batch may hold.
 *
 * Under a feasible objective, the rows that fit in half of it (a request
 * arriving as a batch starts waits for that batch, then rides the next), but,
 * while the queue is short, never fewer than {@link amortisingRows}: when the
 * fixed cost dominates, a smaller batch costs nearly as much as a full one, so
 * capping it would lower throughput (and goodput) without making anyone's
 * answer earlier. A deep queue (see {@link DEEP_QUEUE_BATCHES}) is overload:
 * there the objective's cap holds and admission refuses the excess, so
 * accepted rows are answered in time.
 *
 * Under an infeasible objective no cap can meet it, so batches are sized for
 * throughput alone (`maxBatchRows`); the engine reports the state.
 */
export function batchCap({ fit, maxBatchRows, latencySloMs, backlogRows, objectiveFeasible, overloaded = false }: CapInput): number {
  if (fit === undefined || latencySloMs === undefined || objectiveFeasible === false) return maxBatchRows;
  const budgetMs = latencySloMs / 2;
  const meanFits = rowsWithin(fit, budgetMs);
  // Not even one row fits: no cap can meet the objective (see ObjectiveFeasibility).
  if (meanFits === 0) return maxBatchRows;
  // Sized so that nine batches in ten fit the budget, not one in two (see
  // CostSpread); when not even one row's batch does, the mean's cap.
  const fits = rowsWithin(fit, budgetMs / (fit.tailFactor ?? 1)) || meanFits;
  if (fits >= maxBatchRows) return maxBatchRows;
  // A deep queue (more than one objective-sized batch) is overload: there
  // the objective's cap holds, and admission refuses the excess, so that what
  // is accepted is answered in time.
  if (overloaded || backlogRows > Math.max(DEEP_QUEUE_BATCHES * fits, DEEP_QUEUE_SHARE_OF_MAX * maxBatchRows)) return Math.min(maxBatchRows, Math.max(fits, halfFixedRows(fit)));
  return Math.min(maxBatchRows, Math.max(fits, amortisingRows(fit, Math.min(backlogRows, maxBatchRows))));
}

/**
 * The fewest rows a capped batch may hold: the larger of
 * - the rows that keep {@link MIN_BATCH_EFFICIENCY} of the throughput of one
 *   batch of the whole backlog: `c / (a + b·c) ≥ E · n / (a + b·n)`, i.e.
 *   `c ≥ E·n·a / (a + (1 − E)·b·n)` (nearly the whole backlog when the fixed
 *   cost dominates, one row when there is none), and
 * - the rows at which the fixed cost is at most {@link MAX_FIXED_SHARE} of the
 *   batch: `a ≤ s·(a + b·c)`, i.e. `c ≥ (1 − s)/s · a / b`.
 */
export function amortisingRows(fit: CostFit, backlogRows: number): number {
  const { fixedMs: a, perRowMs: b } = fit;
  if (a <= 0) return 1;
  if (b <= 0) return Number.POSITIVE_INFINITY;
  const e = MIN_BATCH_EFFICIENCY;
  const s = MAX_FIXED_SHARE;
  const ofBacklog = backlogRows <= 1 ? 1 : (e * backlogRows * a) / (a + (1 - e) * b * backlogRows);
  const amortised = ((1 - s) / s) * (a / b);
  return Math.max(1, Math.ceil(Math.max(ofBacklog, amortised) - 1e-9));
}

/**
 * The rows at which a batch's fixed cost is half of it: the least an
 * overloaded queue's batch may hold. Below it a batch spends more on its
 * fixed cost than on its rows, and an objective kept by such batches would
 * be kept by refusing most of the load (a model costing 45 ms + 0.4 ms a row
 * under a 100 ms objective fits 12 rows in half of it: 0.45 rows/ms on two
 * workers, against 2.5 at this floor's 113).
 */
export function halfFixedRows(fit: CostFit): number {
  if (fit.fixedMs <= 0) return 1;
  if (fit.perRowMs <= 0) return Number.POSITIVE_INFINITY;
  return Math.ceil(fit.fixedMs / fit.perRowMs - 1e-9);
}
