/** What one batch is predicted to cost: `fixedMs + perRowMs × rows`. */
export interface CostFit {
  readonly fixedMs: number;
  readonly perRowMs: number;
  /** Batches the fit has seen (weighted samples decay, this does not). */
  readonly samples: number;
}

export interface CostModelOptions {
  /** Weight kept by the past at each new batch: 0.98 remembers roughly the last 50 batches. */
  readonly decay?: number;
  /** Batches seen before predictions are trusted. */
  readonly warmup?: number;
}

/**
 * Learns a model's batch cost online, as BentoML and Clipper do: a weighted
 * least-squares line through (rows, milliseconds) of recent batches, so that
 * a model that gets slower (or a machine that gets busier) is followed.
 *
 * When every recent batch had the same size the slope is unknowable; the
 * whole cost is then taken as fixed. That is exact at that size and optimistic
 * for bigger batches, on purpose: charging it per row instead would predict a
 * 2-row batch at twice a 1-row one, refuse or cap every batch above one row,
 * and so never see the bigger batches that would correct it. Optimism is
 * corrected by the first bigger batch.
 */
export class CostModel {
  #decay: number;
  #warmup: number;
  #w = 0;
  #sx = 0;
  #sy = 0;
  #sxx = 0;
  #sxy = 0;
  #samples = 0;
  #fit: CostFit | undefined;

  constructor(options: CostModelOptions = {}) {
    this.#decay = options.decay ?? 0.98;
    this.#warmup = options.warmup ?? 5;
  }

  observe(rows: number, ms: number): void {
    if (!(rows > 0) || !Number.isFinite(ms) || ms < 0) return;
    const d = this.#decay;
    this.#w = this.#w * d + 1;
    this.#sx = this.#sx * d + rows;
    this.#sy = this.#sy * d + ms;
    this.#sxx = this.#sxx * d + rows * rows;
    this.#sxy = this.#sxy * d + rows * ms;
    this.#samples += 1;
    this.#fit = undefined;
  }

  /** The current line, or `undefined` before the warm-up batches. */
  get fit(): CostFit | undefined {
    if (this.#samples < this.#warmup) return undefined;
    this.#fit ??= this.#solve();
    return this.#fit;
  }

  /** Predicted milliseconds for a batch of `rows`, or `undefined` while warming up. */
  predict(rows: number): number | undefined {
    const fit = this.fit;
    return fit === undefined ? undefined : fit.fixedMs + fit.perRowMs * rows;
  }

  /** The most rows whose batch is predicted to take at most `ms` (at least 1). */
  rowsWithin(ms: number): number | undefined {
    const fit = this.fit;
    if (fit === undefined) return undefined;
    if (fit.perRowMs <= 0) return Number.POSITIVE_INFINITY;
    // The epsilon keeps an exact fit (e.g. 1024.9999…) from losing a row to rounding.
    return Math.max(1, Math.floor((ms - fit.fixedMs) / fit.perRowMs + 1e-9));
  }

  #solve(): CostFit {
    const meanX = this.#sx / this.#w;
    const meanY = this.#sy / this.#w;
    const varX = this.#sxx / this.#w - meanX * meanX;
    const covXY = this.#sxy / this.#w - meanX * meanY;
    // Sizes that vary by less than a row carry no slope information.
    if (varX < 1) return { fixedMs: meanY, perRowMs: 0, samples: this.#samples };
    let perRowMs = covXY / varX;
    let fixedMs = meanY - perRowMs * meanX;
    // Noise can tilt the line below zero at either end; neither is physical.
    if (perRowMs < 0) {
      perRowMs = 0;
      fixedMs = meanY;
    } else if (fixedMs < 0) {
      fixedMs = 0;
      perRowMs = this.#sxy / this.#sxx;
    }
    return { fixedMs, perRowMs, samples: this.#samples };
  }
}
