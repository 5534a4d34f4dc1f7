import type { SubmitOptions } from '../engine/engine.js';
import { GatewayError } from '../errors.js';
import type { Result, Row } from '../model/row-schema.js';

/** The engine as the Kafka front door sees it (the HTTP one sees the same). */
export interface KafkaEngine {
  submit(rows: readonly Row[], options: SubmitOptions): Promise<Result[]>;
}

/** Refusals that mean "not now": the row waits and is submitted again. */
const BACKPRESSURE_CODES: ReadonlySet<string> = new Set(['GW_ERR_QUEUE_FULL', 'GW_ERR_OVERLOADED', 'GW_ERR_NOT_READY', 'GW_ERR_SHUTTING_DOWN']);
/** Failures of a whole batch (its worker died or hung) rather than of the row: tried again before giving up. */
const MAX_ATTEMPTS = 3;
/** Rows offered to the engine per round while it refuses work. */
const ROUND_ROWS = 64;
/** Longest wait between rounds when no admitted row finishes meanwhile. */
const ROUND_DELAY_MS = 20;

interface Job {
  readonly row: Row;
  attempt: number;
  readonly resolve: (outcome: Result | GatewayError) => void;
}

/**
 * Submits Kafka rows to the engine one row per request, and absorbs the
 * engine's refusals: a row refused for load (queue full, latency objective,
 * no worker yet) is never dead-lettered but waits in a FIFO, and while that
 * FIFO is non-empty the front door stops consuming (`onBlocked`). Waiting
 * rows are offered again in rounds paced by the engine's own progress, so a
 * backlog of thousands does not hammer admission.
 */
export class EngineSubmitter {
  readonly #engine: KafkaEngine;
  readonly #submit: SubmitOptions;
  readonly #onBlocked: (blocked: boolean) => void;
  #waiting: Job[] = [];
  #pumping = false;
  #refusals = 0;
  #completions = 0;
  #progress: (() => void) | undefined;

  constructor(engine: KafkaEngine, options: { timeoutMs: number; onBlocked: (blocked: boolean) => void }) {
    this.#engine = engine;
    // A stream is throughput work: records may wait up to their timeout, and
    // the queue bound (not the HTTP latency objective) is what pushes back.
    this.#submit = { timeoutMs: options.timeoutMs, source: 'kafka', maxWaitMs: options.timeoutMs };
    this.#onBlocked = options.onBlocked;
  }

  /** True while rows wait for the engine to take them. */
  get blocked(): boolean {
    return this.#waiting.length > 0;
  }

  /** The row's result, or the error that dead-letters it. Never rejects with a {@link GatewayError}. */
  predict(row: Row): Promise<Result | GatewayError> {
    return new Promise((resolve) => this.#start({ row, attempt: 1, resolve }));
  }

  #start(job: Job): void {
    // Rows arriving while others wait queue behind them.
    if (this.#waiting.length > 0) this.#wait(job);
    else this.#send(job);
  }

  #send(job: Job): void {
    this.#engine.submit([job.row], this.#submit).then(
      ([result]) => {
        this.#wake();
        job.resolve(result!);
      },
      (error: unknown) => {
        if (!(error instanceof GatewayError)) throw error;
        if (BACKPRESSURE_CODES.has(error.code)) {
          this.#refusals++;
          this.#wait(job);
          return;
        }
        this.#wake();
        if (error.retriable && job.attempt < MAX_ATTEMPTS) {
          job.attempt++;
          this.#start(job);
          return;
        }
        job.resolve(error);
      },
    );
  }

  #wait(job: Job): void {
    this.#waiting.push(job);
    if (this.#pumping) return;
    this.#pumping = true;
    this.#onBlocked(true);
    void this.#pump();
  }

  async #pump(): Promise<void> {
    while (this.#waiting.length > 0) {
      const round = this.#waiting.splice(0, ROUND_ROWS);
      const refusalsBefore = this.#refusals;
      const completionsBefore = this.#completions;
      for (const job of round) this.#send(job);
      // Refusals settle within microtasks; by the next macrotask they are back in the queue.
      await new Promise((resolve) => setImmediate(resolve));
      // Refused and nothing finished meanwhile: wait for the engine to make room.
      if (this.#refusals > refusalsBefore && this.#completions === completionsBefore) await this.#progressOrDelay();
    }
    this.#pumping = false;
    this.#onBlocked(false);
  }

  /** Resolves when an admitted row finishes (the engine made room) or after a short delay. */
  #progressOrDelay(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ROUND_DELAY_MS);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#progress = done;
    });
  }

  #wake(): void {
    this.#completions++;
    const progress = this.#progress;
    this.#progress = undefined;
    progress?.();
  }
}
