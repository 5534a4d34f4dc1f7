/** A fitted slope counts only when it is this many standard errors above zero. */
const CREDIBLE_SLOPE_T = 2;
/**
 * The slow batches planned for lie this many standard deviations of the
 * scatter above the line: 1.645 is the 95th percentile of a normal. An
 * accepted row waits for the batch running when it arrived and then rides its
 * own, so two batches' times add up in its answer; planning each at its 95th
 * percentile keeps about 99 % of the answers within their sum.
 */
const SLOW_BATCH_Z = 1.645;
/** The scatter is estimated only from at least this many batches' worth of weight. */
const MIN_SCATTER_BATCHES = 5;

/** What one batch is predicted to cost: `fixedMs + perRowMs × rows`. */
export interface CostFit {
  readonly fixedMs: number;
  readonly perRowMs: number;
  /** Batches the fit has seen (weighted samples decay, this does not). */
  readonly samples: number;
  /**
   * Set when the recent batches all had about the same size, so the line has
   * no slope information of its own: that size. The slope is then the last
   * one learned from batches of varied sizes (`slopeRemembered`), or, before
   * any, zero: the whole cost taken as fixed, which says nothing about what a
   * batch of one row would cost.
   */
  readonly sameSizeRows?: number;
  /**
   * The recent batches gave no credible slope (all one size, a slope tilted
   * below zero, or one within their noise of zero), so the line is the last
   * one learned from batches that did, scaled to their cost: the one-row
   * cost is an estimate, not unknown.
   */
  readonly slopeRemembered?: boolean;
  /**
   * How much longer than the line the slow batches run, in milliseconds
   * (the scatter of recent batches about the line, at its 95th percentile;
   * absent while too few batches show it). The line is a mean: on the 2-core
   * bench machine, with the client on the same cores, full batches predicted
   * at 98 ms took 60–154 ms, and with a 500-ms objective admission filled the
   * queue to a predicted 481 ms, so 37–45 % of the accepted answers were late
   * (bench/RESULTS.md, "Issue 14: planning with the slow batches").
   * Admission (`admissionRefusal`) adds it to every batch it counts. The
   * batch cap does not: batches shrunk for it made the round that is always
   * admitted smaller, and refused closed-loop clients who came straight back.
   */
  readonly slowMarginMs?: number;
}

export interface CostModelOptions {
  /** Weight kept by the past at each new batch: 0.98 remembers roughly the last 50 batches. */
  readonly decay?: number;
  /** The past also loses half its weight every `halfLifeMs` of time, however few batches ran. */
  readonly halfLifeMs?: number;
  /** Batches seen before predictions are trusted. */
  readonly warmup?: number;
}

/**
 * Learns a model's batch cost online, as BentoML and Clipper do: a weighted
 * least-squares line through (rows, milliseconds) of recent batches, so that
 * a model that gets slower (or a machine that gets busier) is followed.
 * From the same batches it learns how far they scatter about the line
 * ({@link CostFit.slowMarginMs}), so that the objective is planned with the
 * slow batches, not the average one.
 *
 * Memory is bounded both in batches and in time: when batches are slow and
 * rare (a busy machine, a slow model), the per-batch decay alone would keep a
 * stale cost for tens of seconds, so the past also halves every half second.
 *
 * When every recent batch had the same size the slope cannot be measured.
 * The line then keeps the shape last learned from batches of varied sizes and
 * is scaled to the recent batches' cost (a busier machine slows both parts
 * alike): under overload every batch is
 * full, and a line that forgot its slope would take the whole cost of a full
 * batch as the cost of one row, call the objective infeasible and keep
 * batches full, never seeing the smaller batches that would correct it.
 * Before any slope was learned the whole cost is taken as fixed. That is
 * exact at that size and optimistic for bigger batches, on purpose: charging
 * it per row instead would predict a 2-row batch at twice a 1-row one, refuse
 * or cap every batch above one row, and so never see the bigger batches that
 * would correct it. Optimism is corrected by the first bigger batch.
 */
export class CostModel {
  #decay: number;
  #halfLifeMs: number;
  #warmup: number;
  #lastAt: number | undefined;
  #w = 0;
  #sx = 0;
  #sy = 0;
  #sxx = 0;
  #sxy = 0;
  #syy = 0;
  /** Sum of the squared weights: with `#w`, the effective number of batches the line rests on. */
  #w2 = 0;
  #samples = 0;
  #fit: CostFit | undefined;
  /** The last line whose slope the batches showed credibly. */
  #lastCredible: { readonly fixedMs: number; readonly perRowMs: number } | undefined;

  constructor(options: CostModelOptions = {}) {
    this.#decay = options.decay ?? 0.98;
    this.#halfLifeMs = options.halfLifeMs ?? 500;
    this.#warmup = options.warmup ?? 5;
  }

  /** Records one batch of `rows` that took `ms`, finished at `now` (ms, `performance.now()` clock). */
  observe(rows: number, ms: number, now?: number): void {
    if (!(rows > 0) || !Number.isFinite(ms) || ms < 0) return;
    let d = this.#decay;
    if (now !== undefined) {
      if (this.#lastAt !== undefined && now > this.#lastAt) d = Math.min(d, 0.5 ** ((now - this.#lastAt) / this.#halfLifeMs));
      this.#lastAt = now;
    }
    this.#w = this.#w * d + 1;
    this.#sx = this.#sx * d + rows;
    this.#sy = this.#sy * d + ms;
    this.#sxx = this.#sxx * d + rows * rows;
    this.#sxy = this.#sxy * d + rows * ms;
    this.#syy = this.#syy * d + ms * ms;
    this.#w2 = this.#w2 * d * d + 1;
    this.#samples += 1;
    // Solved at once, not when next asked: the slope it remembers must be
    // the last one batches of varied sizes showed, however rarely it is asked.
    this.#fit = this.#samples < this.#warmup ? undefined : this.#solve();
  }

  /** The current line, or `undefined` before the warm-up batches. */
  get fit(): CostFit | undefined {
    return this.#fit;
  }

  /** Predicted milliseconds for a batch of `rows`, or `undefined` while warming up. */
  predict(rows: number): number | undefined {
    const fit = this.fit;
    return fit === undefined ? undefined : fit.fixedMs + fit.perRowMs * rows;
  }

  /** The most rows whose batch is predicted to take at most `ms` (0 when not even one row fits). */
  rowsWithin(ms: number): number | undefined {
    const fit = this.fit;
    return fit === undefined ? undefined : rowsWithin(fit, ms);
  }

  #solve(): CostFit {
    const line = this.#solveLine();
    const slowMarginMs = this.#slowMarginMs(line);
    return slowMarginMs > 0 ? { ...line, slowMarginMs } : line;
  }

  /**
   * {@link SLOW_BATCH_Z} standard deviations of the recent batches' scatter
   * about `line`, the line in use (fitted, remembered or flat), from the same
   * weighted sums: the scatter the line leaves now, so it follows a machine
   * that turns noisy or quiet as fast as the line follows its cost, and the
   * line's own learning (its misfit while batches are few) fades as soon as
   * the line fits them. It cannot lock the engine: every batch that runs is
   * measured, and a wider margin only makes admission's queue shorter, never
   * shorter than the next round of batches.
   */
  #slowMarginMs({ fixedMs: a, perRowMs: b }: CostFit): number {
    const w = this.#w;
    const effectiveBatches = (w * w) / this.#w2;
    if (effectiveBatches < MIN_SCATTER_BATCHES) return 0;
    // Weighted mean of (y − a − b·x)², expanded over the sums.
    const meanSquare =
      this.#syy / w - (2 * a * this.#sy) / w - (2 * b * this.#sxy) / w + a * a + (2 * a * b * this.#sx) / w + (b * b * this.#sxx) / w;
    // Two parameters were fitted from these batches.
    const variance = Math.max(0, meanSquare) * (effectiveBatches / (effectiveBatches - 2));
    return SLOW_BATCH_Z * Math.sqrt(variance);
  }

  #solveLine(): CostFit {
    const samples = this.#samples;
    const meanX = this.#sx / this.#w;
    const meanY = this.#sy / this.#w;
    const varX = this.#sxx / this.#w - meanX * meanX;
    const covXY = this.#sxy / this.#w - meanX * meanY;
    // Sizes that vary by less than a row carry no slope information.
    const sameSizeRows = varX < 1 ? Math.round(meanX) : undefined;
    const slope = sameSizeRows === undefined ? covXY / varX : undefined;
    // A slope is used only when the batches show it beyond their own noise.
    // Not one tilted below zero (noise, or a cost that changed while the
    // sizes did: slow cold batches, then bigger fast ones), nor one within
    // noise of zero: on a busy machine, batches of 1 to 20 rows whose times
    // vary by tens of milliseconds (preemption) can fit 13 ms per row through
    // the origin, and cap batches at 3 rows when they cost 40 ms whatever
    // their size.
    if (slope === undefined || !(slope > CREDIBLE_SLOPE_T * this.#slopeError(varX, meanY, covXY))) {
      const size = sameSizeRows === undefined ? {} : { sameSizeRows };
      const last = this.#lastCredible;
      if (last === undefined) return { fixedMs: meanY, perRowMs: 0, samples, ...size };
      // The remembered line, scaled to the cost measured now: a machine
      // that got busier slows the fixed and the per-row part alike, so the
      // whole slowdown is not put on the fixed cost (which would make the
      // objective look infeasible under overload, when batches are big).
      const scale = meanY / (last.fixedMs + last.perRowMs * meanX);
      return { fixedMs: last.fixedMs * scale, perRowMs: last.perRowMs * scale, samples, ...size, slopeRemembered: true };
    }
    let perRowMs = slope;
    let fixedMs = meanY - perRowMs * meanX;
    // Noise can tilt the line below zero at the intercept: not physical either.
    if (fixedMs < 0) {
      fixedMs = 0;
      perRowMs = this.#sxy / this.#sxx;
    }
    this.#lastCredible = { fixedMs, perRowMs };
    return { fixedMs, perRowMs, samples };
  }

  /** Standard error of the fitted slope: the scatter about the line over the spread of the sizes, per effective batch. */
  #slopeError(varX: number, meanY: number, covXY: number): number {
    const varY = this.#syy / this.#w - meanY * meanY;
    const residual = Math.max(0, varY - (covXY * covXY) / varX);
    const effectiveBatches = (this.#w * this.#w) / this.#w2;
    return Math.sqrt(residual / (varX * Math.max(1, effectiveBatches - 2)));
  }
}

/** The most rows whose batch `fit` predicts to take at most `ms` (0 when not even one row fits). */
export function rowsWithin(fit: CostFit, ms: number): number {
  if (fit.fixedMs + fit.perRowMs > ms) return 0;
  if (fit.perRowMs <= 0) return Number.POSITIVE_INFINITY;
  // The epsilon keeps an exact fit (e.g. 1024.9999…) from losing a row to rounding.
  return Math.floor((ms - fit.fixedMs) / fit.perRowMs + 1e-9);
}
