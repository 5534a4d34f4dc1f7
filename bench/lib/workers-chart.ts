import { barChart } from './bar-chart.js';

/** What the chart needs from each predict run. */
export interface WorkersRun {
  readonly settings: { readonly workers?: number | undefined; readonly connections: number; readonly durationS: number };
  readonly gatewayWorkers?: number | null | undefined;
  readonly reqPerSec: number;
  readonly latencyMs: { readonly p99: number };
}

/** req/s per worker count: median run as the bar, the range of runs as a whisker, p99 under the label. */
export function workersChart(runs: readonly WorkersRun[], date: string): string {
  const workersOf = (run: WorkersRun): number => run.settings.workers ?? run.gatewayWorkers ?? 0;
  const counts = [...new Set(runs.map(workersOf))].sort((a, b) => a - b);
  const first = runs[0]!;
  const bars = counts.map((workers) => {
    const all = runs.filter((r) => workersOf(r) === workers).sort((a, b) => a.reqPerSec - b.reqPerSec);
    const median = all[Math.floor((all.length - 1) / 2)]!;
    return {
      label: `${workers} worker${workers === 1 ? '' : 's'}`,
      value: median.reqPerSec,
      low: all[0]!.reqPerSec,
      high: all.at(-1)!.reqPerSec,
      note: `p99 ${median.latencyMs.p99} ms`,
    };
  });
  const repeats = Math.max(...counts.map((c) => runs.filter((r) => workersOf(r) === c).length));
  return barChart({
    title: 'Single-row POST /predict, census-income model',
    subtitle: `${first.settings.connections} connections, ${first.settings.durationS} s per run, median of ${repeats} (whisker: range), 2 cores, ${date.slice(0, 10)}`,
    yLabel: 'requests per second',
    bars,
  });
}
