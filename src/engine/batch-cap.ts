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
 * The time one batch may take under an objective: half of it, since a row
 * that arrives as a batch starts waits for that batch and then rides the
 * next. The cap, feasibility and the over-budget count all measure against it.
 */
export function batchBudgetMs(latencySloMs: number): number {
  return latencySloMs / 2;
}

export interface CapInput {
  readonly fit: CostFit | undefined;
  readonly maxBatchRows: number;
  readonly latencySloMs: number | undefined;
  /** Rows the cap is asked about: those queued (plus, at admission, the new request's). */
  readonly backlogRows: number;
  /** See {@link ObjectiveFeasibility}; `false` lifts the objective's cap. */
  readonly objectiveFeasible: boolean | undefined;
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
export function batchCap({ fit, maxBatchRows, latencySloMs, backlogRows, objectiveFeasible }: CapInput): number {
  if (fit === undefined || latencySloMs === undefined || objectiveFeasible === false) return maxBatchRows;
  const fits = rowsWithin(fit, batchBudgetMs(latencySloMs));
  // Not even one row fits: no cap can meet the objective (see ObjectiveFeasibility).
  if (fits === 0 || fits >= maxBatchRows) return maxBatchRows;
  // A deep queue (more than one objective-sized batch) is overload: there
  // the objective's cap holds, and admission refuses the excess, so that what
  // is accepted is answered in time.
  if (backlogRows > Math.max(DEEP_QUEUE_BATCHES * fits, DEEP_QUEUE_SHARE_OF_MAX * maxBatchRows)) return fits;
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
