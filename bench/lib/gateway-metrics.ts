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
