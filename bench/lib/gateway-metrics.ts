/** Batches and rows so far, summed over `gateway_batch_rows`'s label sets; null when /metrics is absent or renamed. */
export async function batchTotals(base: string): Promise<{ count: number; rows: number } | null> {
  try {
    const text = await (await fetch(`${base}/metrics`)).text();
    let count = 0;
    let rows = 0;
    let seen = false;
    for (const line of text.split('\n')) {
      const match = /^gateway_batch_rows_(sum|count)(?:\{[^}]*\})? (\S+)$/.exec(line);
      if (!match) continue;
      seen = true;
      if (match[1] === 'sum') rows += Number(match[2]);
      else count += Number(match[2]);
    }
    return seen ? { count, rows } : null;
  } catch {
    return null;
  }
}

/** Batches and mean rows per batch between two readings of `batchTotals`. */
export function batchesBetween(
  before: { count: number; rows: number } | null,
  after: { count: number; rows: number } | null,
): { count: number; meanRows: number } | null {
  if (!before || !after || after.count <= before.count) return null;
  const count = after.count - before.count;
  return { count, meanRows: Math.round(((after.rows - before.rows) / count) * 10) / 10 };
}

/**
 * Whether the gateway judged its latency objective feasible when asked
 * (`gateway_latency_objective_feasible`, 1 or 0, the first model's); null when
 * not reported (no objective, still learning, or a gateway without the gauge).
 */
export async function objectiveFeasible(base: string): Promise<boolean | null> {
  try {
    const text = await (await fetch(`${base}/metrics`)).text();
    const match = /^gateway_latency_objective_feasible(?:\{[^}]*\})? (\S+)$/m.exec(text);
    return match ? match[1] === '1' : null;
  } catch {
    return null;
  }
}

/** Cumulative bucket counts (le in seconds → count) of the gateway's latency histograms, summed over models. */
export interface LatencyHistograms {
  /** `gateway_request_duration_seconds`, answered requests (code "ok"): arrival at the route to the answer. */
  readonly request: ReadonlyMap<number, number>;
  /** `gateway_queue_wait_seconds`: admission to the start of the row's batch. */
  readonly queueWait: ReadonlyMap<number, number>;
  /** `gateway_batch_duration_seconds`, batches that succeeded. */
  readonly batch: ReadonlyMap<number, number>;
}

const HISTOGRAMS = { request: 'gateway_request_duration_seconds', queueWait: 'gateway_queue_wait_seconds', batch: 'gateway_batch_duration_seconds' } as const;

/** Reads the gateway's own latency histograms; null when /metrics is absent or has none of them. */
export async function latencyHistograms(base: string): Promise<LatencyHistograms | null> {
  try {
    const text = await (await fetch(`${base}/metrics`)).text();
    const maps = { request: new Map<number, number>(), queueWait: new Map<number, number>(), batch: new Map<number, number>() };
    for (const line of text.split('\n')) {
      const match = /^(gateway_[a-z_]+)_bucket\{([^}]*)\} (\S+)$/.exec(line);
      if (!match) continue;
      const key = (Object.keys(HISTOGRAMS) as (keyof typeof HISTOGRAMS)[]).find((k) => HISTOGRAMS[k] === match[1]);
      if (key === undefined) continue;
      const labels = match[2]!;
      if (key === 'request' && !labels.includes('code="ok"')) continue;
      if (key === 'batch' && !labels.includes('outcome="ok"')) continue;
      const le = /le="([^"]+)"/.exec(labels)?.[1];
      if (le === undefined) continue;
      const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
      maps[key].set(bound, (maps[key].get(bound) ?? 0) + Number(match[3]));
    }
    return maps.request.size + maps.queueWait.size + maps.batch.size === 0 ? null : maps;
  } catch {
    return null;
  }
}

/** Observations between two readings, and the share of them above `seconds` (a bucket bound; null when it is not one). */
export function shareAbove(before: ReadonlyMap<number, number> | undefined, after: ReadonlyMap<number, number>, seconds: number): { count: number; share: number | null } {
  const at = (map: ReadonlyMap<number, number> | undefined, bound: number): number => map?.get(bound) ?? 0;
  const count = at(after, Number.POSITIVE_INFINITY) - at(before, Number.POSITIVE_INFINITY);
  if (!after.has(seconds) || count <= 0) return { count: Math.max(0, count), share: null };
  return { count, share: 1 - (at(after, seconds) - at(before, seconds)) / count };
}
