/** Batches the spread is read from: recent enough to follow a machine that changes within seconds. */
const WINDOW = 64;
/** The share of batches allowed to run longer than the budget the spread sizes. */
const QUANTILE = 0.9;
/** Beyond this the predictions say little; the spread is held here rather than shrink every batch to nothing. */
const MAX_FACTOR = 3;

/**
 * How much longer than predicted batches run: the 90th percentile of
 * measured / predicted over the last {@link WINDOW} batches, never below 1.
 *
 * The cost line predicts a batch's mean cost. On a quiet machine batches of
 * one size take the same time and the factor is 1; on a busy one a batch
 * that is preempted, or that meets a garbage collection, takes twice as long
 * as its neighbours, and a row that waits behind such a batch, then rides
 * one, is answered late although every prediction was right on average. The
 * batch cap and admission divide the objective's budget by this factor, so
 * that nine batches in ten fit it, not one in two.
 */
export class CostSpread {
  #ratios: number[] = [];
  #next = 0;
  #factor = 1;

  /** Records one batch: what it took against what was predicted before it ran. */
  add(measuredMs: number, predictedMs: number): void {
    if (!(predictedMs > 0) || !Number.isFinite(measuredMs) || measuredMs < 0) return;
    const ratio = measuredMs / predictedMs;
    if (this.#ratios.length < WINDOW) this.#ratios.push(ratio);
    else this.#ratios[this.#next] = ratio;
    this.#next = (this.#next + 1) % WINDOW;
    const sorted = [...this.#ratios].sort((a, b) => a - b);
    const at = sorted[Math.min(sorted.length - 1, Math.floor(QUANTILE * sorted.length))]!;
    this.#factor = Math.min(MAX_FACTOR, Math.max(1, at));
  }

  /** 1 until batches are seen to run longer than predicted. */
  get factor(): number {
    return this.#factor;
  }
}
