import { batchCap } from './batch-cap.js';
import type { CostFit } from './cost-model.js';

/** What admission looks at when a request arrives. */
export interface AdmissionInput {
  /** Rows of the request being admitted. */
  readonly rows: number;
  /** Live rows already waiting. */
  readonly queuedRows: number;
  readonly readyWorkers: number;
  readonly inFlightBatches: number;
  readonly fit: CostFit | undefined;
  readonly maxBatchRows: number;
  readonly latencySloMs: number | undefined;
  readonly objectiveFeasible: boolean | undefined;
  /** The longest this caller will wait for its answer. */
  readonly maxWaitMs: number;
}

/** Why a request is refused: its predicted answer time against what the caller will wait. */
export interface Refusal {
  readonly predictedMs: number;
  readonly objectiveMs: number;
}

/**
 * Admission refuses only excess work. A request is always taken when the
 * queue is empty, when a worker is idle, when the cost model is still warming
 * up, or when it fits in the round of capped batches the ready workers will
 * run next anyway (refusing a row that rides a batch which runs regardless
 * lowers goodput and makes no one's answer earlier).
 *
 * Otherwise it is refused when its predicted queueing delay (the batches still
 * running, then the rounds ahead of its own) leaves no room for its own batch
 * within what the caller will wait. When even its own batch is longer than
 * that (an objective this model cannot meet now), the queueing delay is still
 * held to half of it, so open-loop overload is refused at once instead of
 * queueing without bound.
 *
 * Together with the cap's floor this is what keeps the cost model from
 * locking itself: whatever it predicts, every idle worker and the next full
 * round are always fed, so batches keep running and keep being measured.
 */
export function admissionRefusal(input: AdmissionInput): Refusal | undefined {
  const { rows, queuedRows, readyWorkers, inFlightBatches, fit, maxWaitMs } = input;
  if (queuedRows === 0 || fit === undefined) return undefined;
  if (readyWorkers > inFlightBatches) return undefined;
  const workers = Math.max(1, readyWorkers);
  const backlog = queuedRows + rows;
  const cap = batchCap({ fit, maxBatchRows: input.maxBatchRows, latencySloMs: input.latencySloMs, backlogRows: backlog, objectiveFeasible: input.objectiveFeasible });
  if (backlog <= cap * workers) return undefined;
  // Planned at the slow end of batch times (CostFit.slowMarginMs), not at the line's average.
  const batchMs = fit.fixedMs + fit.perRowMs * Math.min(cap, backlog) + (fit.slowMarginMs ?? 0);
  const rounds = Math.ceil(Math.ceil(backlog / cap) / workers);
  // Running batches are, on average, half done.
  const queueMs = batchMs / 2 + (rounds - 1) * batchMs;
  const allowanceMs = Math.max(maxWaitMs - batchMs, maxWaitMs / 2);
  return queueMs > allowanceMs ? { predictedMs: queueMs + batchMs, objectiveMs: maxWaitMs } : undefined;
}
