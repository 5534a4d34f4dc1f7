import type { CostModel } from './cost-model.js';

export interface Backlog {
  /** Rows of the request being admitted. */
  readonly rows: number;
  /** Rows already waiting. */
  readonly queuedRows: number;
  readonly batchCap: number;
  readonly workers: number;
  readonly inFlightBatches: number;
}

/**
 * Predicted milliseconds from now until a new request's last row is answered:
 * the batches still running finish, then the backlog (queue plus this request)
 * goes out in rounds of one capped batch per worker. `undefined` while the
 * cost model is warming up.
 */
export function predictWaitMs(cost: CostModel, backlog: Backlog): number | undefined {
  const rows = backlog.queuedRows + backlog.rows;
  const batchRows = Math.min(backlog.batchCap, rows);
  const batchMs = cost.predict(batchRows);
  if (batchMs === undefined) return undefined;
  const workers = Math.max(1, backlog.workers);
  const rounds = Math.ceil(Math.ceil(rows / backlog.batchCap) / workers);
  // Running batches are, on average, half done.
  const running = backlog.inFlightBatches >= workers ? (cost.predict(backlog.batchCap) ?? batchMs) / 2 : 0;
  return running + rounds * batchMs;
}
