import { DeadlineExceededError, QueueFullError, type GatewayError } from '../errors.js';
import type { Result } from '../model/row-schema.js';

/** How a reply met the pending map. */
export type ReplyMatch = 'matched' | 'late' | 'unmatched';

export interface PendingRepliesOptions {
  /** Rows awaiting their reply at most; more are refused with {@link QueueFullError}. */
  readonly maxPending: number;
  /** Called when a row's reply has not come within `retryMs` (and its deadline is not yet over): send it again. */
  readonly onRetry: (correlationId: string, attempt: number) => void;
  readonly retryMs: number;
}

interface Pending {
  readonly resolve: (outcome: Result | GatewayError) => void;
  readonly deadline: NodeJS.Timeout;
  retry: NodeJS.Timeout | undefined;
  attempt: number;
}

/**
 * The rows a forwarding front end awaits replies for, by correlation id.
 * Bounded (a full map refuses at once, as a full local queue does); every
 * row is settled by its reply or at its deadline, whichever comes first. A
 * reply for a row already settled is told apart as `late` (its deadline had
 * passed: remembered for as many ids as the map holds) or `unmatched` (a
 * duplicate of an answered row, at-least-once, or not ours).
 */
export class PendingReplies {
  readonly #options: PendingRepliesOptions;
  readonly #pending = new Map<string, Pending>();
  /** Ids settled at their deadline, oldest first (a Map keeps insertion order), at most `maxPending`. */
  readonly #expired = new Map<string, true>();

  constructor(options: PendingRepliesOptions) {
    this.#options = options;
  }

  /** Rows awaiting a reply. */
  get size(): number {
    return this.#pending.size;
  }

  /** Throws {@link QueueFullError} unless `rows` more fit now. */
  admit(rows: number): void {
    if (this.#pending.size + rows > this.#options.maxPending) throw new QueueFullError(this.#pending.size, this.#options.maxPending);
  }

  /** Awaits the reply for `correlationId`; resolves with {@link DeadlineExceededError} after `timeoutMs`. Never rejects. */
  await(correlationId: string, timeoutMs: number): Promise<Result | GatewayError> {
    return new Promise((resolve) => {
      const deadline = setTimeout(() => this.#expire(correlationId, timeoutMs), timeoutMs);
      const entry: Pending = { resolve, deadline, retry: undefined, attempt: 1 };
      this.#pending.set(correlationId, entry);
      this.#scheduleRetry(correlationId, entry, timeoutMs);
    });
  }

  /** Settles the row a reply is for. */
  settle(correlationId: string, outcome: Result | GatewayError): ReplyMatch {
    const entry = this.#pending.get(correlationId);
    if (entry === undefined) return this.#expired.has(correlationId) ? 'late' : 'unmatched';
    this.#remove(correlationId, entry);
    entry.resolve(outcome);
    return 'matched';
  }

  /** Settles every pending row with `error` (the front end is closing). */
  failAll(error: GatewayError): void {
    for (const [id, entry] of this.#pending) {
      this.#remove(id, entry);
      entry.resolve(error);
    }
  }

  #scheduleRetry(correlationId: string, entry: Pending, timeoutMs: number): void {
    // The next send would happen at attempt × retryMs: none at or after the deadline.
    const { retryMs } = this.#options;
    if (retryMs * entry.attempt >= timeoutMs) return;
    entry.retry = setTimeout(() => {
      if (this.#pending.get(correlationId) !== entry) return;
      entry.attempt++;
      this.#options.onRetry(correlationId, entry.attempt);
      this.#scheduleRetry(correlationId, entry, timeoutMs);
    }, retryMs);
  }

  #expire(correlationId: string, timeoutMs: number): void {
    const entry = this.#pending.get(correlationId);
    if (entry === undefined) return;
    this.#remove(correlationId, entry);
    this.#expired.set(correlationId, true);
    if (this.#expired.size > this.#options.maxPending) this.#expired.delete(this.#expired.keys().next().value!);
    entry.resolve(new DeadlineExceededError(timeoutMs));
  }

  #remove(correlationId: string, entry: Pending): void {
    clearTimeout(entry.deadline);
    clearTimeout(entry.retry);
    this.#pending.delete(correlationId);
  }
}
