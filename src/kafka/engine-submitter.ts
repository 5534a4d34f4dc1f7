import type { SubmitOptions } from '../engine/engine.js';
import type { z } from 'zod';
import { DeadlineExceededError, GatewayError } from '../errors.js';
import { requestBudget } from '../registry/request-budget.js';
import type { Result, Row } from '../model/row-schema.js';

/** A model as the Kafka front door sees it (the HTTP one sees the same). */
export interface KafkaModel {
  readonly name: string;
  readonly schemas: { readonly row: z.ZodType };
  predict(rows: readonly Row[], options: SubmitOptions): Promise<{ readonly results: readonly Result[] }>;
}

/** The registry as the Kafka front door sees it. */
export interface KafkaModels {
  /** The named model, or the default one; throws `ModelNotFoundError` when it is not loaded. */
  resolve(name: string | undefined): KafkaModel;
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
  /** The model it goes to (`undefined`: the default one), looked up at each attempt: it may be unloaded meanwhile. */
  readonly model: string | undefined;
  /** The caller's deadline (epoch ms) and its length, when the record carries one (a forwarding front end's request). */
  readonly deadline: { readonly at: number; readonly timeoutMs: number } | undefined;
  attempt: number;
  readonly resolve: (outcome: Result | GatewayError) => void;
}

/**
 * Submits Kafka rows to their model's engine one row per request, and absorbs the
 * engine's refusals: a row refused for load (queue full, latency objective,
 * no worker yet) is never dead-lettered but waits in a FIFO, and while that
 * FIFO is non-empty the front door stops consuming (`onBlocked`). Waiting
 * rows are offered again in rounds paced by the engine's own progress, so a
 * backlog of thousands does not hammer admission.
 */
export class EngineSubmitter {
  readonly #models: KafkaModels;
  readonly #submit: SubmitOptions;
  readonly #onBlocked: (blocked: boolean) => void;
  #waiting: Job[] = [];
  #pumping = false;
  #refusals = 0;
  #completions = 0;
  #progress: (() => void) | undefined;

  constructor(models: KafkaModels, options: { timeoutMs: number; onBlocked: (blocked: boolean) => void }) {
    this.#models = models;
    this.#submit = { ...requestBudget('stream', undefined, options.timeoutMs), source: 'kafka' };
    this.#onBlocked = options.onBlocked;
  }

  /** True while rows wait for the engine to take them. */
  get blocked(): boolean {
    return this.#waiting.length > 0;
  }

  /**
   * The row's result from `model` (the default one when `undefined`), or the
   * error that dead-letters it. Never rejects with a {@link GatewayError}.
   * With a `deadline`, the row is never offered to the engine once it has
   * passed (a {@link DeadlineExceededError} instead), and the engine is given
   * only the time left.
   */
  predict(row: Row, model?: string, deadline?: { readonly at: number; readonly timeoutMs: number }): Promise<Result | GatewayError> {
    return new Promise((resolve) => this.#start({ row, model, deadline, attempt: 1, resolve }));
  }

  #start(job: Job): void {
    // Rows arriving while others wait queue behind them.
    if (this.#waiting.length > 0) this.#wait(job);
    else this.#send(job);
  }

  #send(job: Job): void {
    let model: KafkaModel;
    try {
      model = this.#models.resolve(job.model);
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      this.#wake();
      job.resolve(error);
      return;
    }
    let submit = this.#submit;
    if (job.deadline !== undefined) {
      const leftMs = job.deadline.at - Date.now();
      if (leftMs <= 0) {
        this.#wake();
        job.resolve(new DeadlineExceededError(job.deadline.timeoutMs));
        return;
      }
      // The caller's deadline governs, not this instance's --request-timeout-ms.
      submit = { ...submit, timeoutMs: leftMs, maxWaitMs: leftMs };
    }
    model.predict([job.row], submit).then(
      ({ results: [result] }) => {
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
