import { DeadlineExceededError, type GatewayError } from '../errors.js';
import type { Result, Row } from '../model/row-schema.js';

/**
 * One caller's rows on their way through the queue: collects the results of
 * each slice as its batch comes back and settles exactly once — with all
 * results in order, the first error, or a deadline error.
 */
export class PendingRequest {
  readonly rows: readonly Row[];
  readonly timeoutMs: number;
  /** `performance.now()` when the request was accepted. */
  readonly acceptedAt: number;
  /** `performance.now()` after which the request must not reach the model. */
  readonly deadline: number;
  readonly promise: Promise<Result[]>;

  #results: Result[];
  #remaining: number;
  #settled = false;
  #resolve!: (results: Result[]) => void;
  #reject!: (error: GatewayError) => void;
  #timer: NodeJS.Timeout;
  /** Set when the first slice is dispatched; the queue wait is measured to here. */
  dispatchedAt = 0;
  /** The model version of the worker that answered (the last one, if slices went to several). */
  modelVersion: string | undefined;
  /** Rows still waiting in the batcher's queue; kept by the batcher. */
  queuedRows = 0;
  /** Called once when the request settles (with its error, if it failed), so the queue can stop counting its waiting rows. */
  onSettle: ((request: PendingRequest, error: GatewayError | undefined) => void) | undefined;

  constructor(rows: readonly Row[], timeoutMs: number, now: number) {
    this.rows = rows;
    this.timeoutMs = timeoutMs;
    this.acceptedAt = now;
    this.deadline = now + timeoutMs;
    this.#results = new Array<Result>(rows.length);
    this.#remaining = rows.length;
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // The caller hears of the deadline when it passes, not when a worker frees
    // up; slices still queued are skipped by the batcher because we settled.
    this.#timer = setTimeout(() => this.fail(new DeadlineExceededError(timeoutMs)), timeoutMs);
    this.#timer.unref();
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** Stores the results of the slice starting at `offset`. */
  complete(offset: number, results: readonly Result[], start = 0, count = results.length): void {
    if (this.#settled) return;
    for (let i = 0; i < count; i++) this.#results[offset + i] = results[start + i]!;
    this.#remaining -= count;
    if (this.#remaining === 0) {
      this.#settle(undefined);
      this.#resolve(this.#results);
    }
  }

  fail(error: GatewayError): void {
    if (this.#settled) return;
    this.#settle(error);
    this.#reject(error);
  }

  #settle(error: GatewayError | undefined): void {
    this.#settled = true;
    clearTimeout(this.#timer);
    this.onSettle?.(this, error);
  }
}
