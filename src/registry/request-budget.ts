/** How long a request may take and how long it agrees to wait for admission. */
export interface RequestBudget {
  /** Milliseconds from now after which its rows must not reach the model. */
  readonly timeoutMs: number;
  /** Work predicted to take longer is refused at once; `undefined`: the model's latency objective decides. */
  readonly maxWaitMs: number | undefined;
}

/**
 * The one admission policy of every front door. An interactive caller (HTTP,
 * V2) that sets no deadline is held to the model's latency objective; one
 * that states its own deadline (`x-request-timeout`) says it will wait that
 * long, so it is admitted up to it. A stream (Kafka) is throughput work: its
 * records always wait up to their timeout, and the queue bound, not the
 * objective, pushes back.
 */
export function requestBudget(kind: 'interactive' | 'stream', askedTimeoutMs: number | undefined, defaultTimeoutMs: number): RequestBudget {
  const timeoutMs = askedTimeoutMs ?? defaultTimeoutMs;
  if (kind === 'stream') return { timeoutMs, maxWaitMs: timeoutMs };
  return { timeoutMs, maxWaitMs: askedTimeoutMs };
}
