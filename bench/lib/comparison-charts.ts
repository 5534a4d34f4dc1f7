import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT as ROOT } from '../../src/config/config.js';
import { barChart } from './bar-chart.js';
import { lineChart } from './line-chart.js';
import type { RunResult } from './run-result.js';

export const CHARTS_DIR = path.join(ROOT, 'bench', 'charts');

const LABELS: Record<string, string> = { gateway: 'gateway', 'gateway-v2': 'gateway (V2)', 'gateway-onnx': 'gateway (ONNX)', mlserver: 'MLServer', naive: 'naive FastAPI', ceiling: 'ceiling (no model)' };
const systemLabel = (name: string): string => LABELS[name] ?? name;

function peakChart(run: RunResult): string | undefined {
  if (!run.peak?.length) return undefined;
  const first = run.peak[0]!;
  return barChart({
    title: 'Single-row predictions, census-income model',
    subtitle: `${first.connections} connections, ${Math.round(first.durationS)} s each, ${run.machine.cpus} cores shared with the client, ${run.date.slice(0, 10)}`,
    yLabel: 'successful (2xx) requests per second',
    bars: run.peak.map((r) => ({ label: systemLabel(r.system), value: r.okPerSec, note: `p99 ${r.latencyMs.p99} ms` })),
  });
}

function batchingChart(run: RunResult, onnx = false): string | undefined {
  const b = onnx ? run.batchingOnnx : run.batching;
  if (!b?.runs.length) return undefined;
  const auto = b.auto ? `; default settings (objective on): ${Math.round(b.auto.rowsPerSec).toLocaleString('en-US')} rows/s at ${b.auto.batches?.meanRows ?? '?'} rows/batch, cap ${b.auto.capRows ?? '?'}` : '';
  return lineChart({
    title: onnx ? 'Effect of batching on throughput: ONNX Runtime on worker threads' : 'Effect of batching on throughput',
    subtitle: `${onnx ? 'gateway (ONNX)' : 'gateway'}: 64 connections × ${b.rowsPerRequest}-row requests; model alone: one thread, in-process calls${auto}; ${run.date.slice(0, 10)}`,
    xLabel: 'max rows per batch (gateway --max-batch-rows; model: rows per predict call)',
    yLabel: 'rows per second',
    rightLabel: 'gateway p99 (ms)',
    xTicks: b.runs.map((r) => r.maxBatchRows),
    series: [
      { label: 'gateway rows/s', color: '#3b7dd8', points: b.runs.map((r) => ({ x: r.maxBatchRows, y: r.rowsPerSec })) },
      { label: 'model alone rows/s', color: '#2a9d5c', points: b.rawModel.map((m) => ({ x: m.n, y: m.rowsPerSec })) },
      { label: 'gateway p99 ms (right)', color: '#d8573b', dashed: true, right: true, points: b.runs.map((r) => ({ x: r.maxBatchRows, y: r.latencyMs.p99 })) },
    ],
  });
}

function lowLoadChart(run: RunResult): string | undefined {
  const low = run.lowLoad;
  if (!low?.runs.length) return undefined;
  return barChart({
    title: 'One request at a time: p50 round trip',
    subtitle: `one connection; the model alone takes ${low.rawModel.medianMs} ms per row (median, in-process); ${run.date.slice(0, 10)}`,
    yLabel: 'milliseconds (p50)',
    bars: low.runs.map((r) => ({ label: systemLabel(r.system), value: r.latencyMs.p50, note: `p99 ${r.latencyMs.p99.toFixed(1)} ms` })),
  });
}

/** Writes bench/charts/{peak,batching,low-load}.svg for the scenarios that ran; returns the files written. */
export function writeComparisonCharts(run: RunResult): string[] {
  const written: string[] = [];
  for (const [name, svg] of [['peak', peakChart(run)], ['batching', batchingChart(run)], ['batching-onnx', batchingChart(run, true)], ['low-load', lowLoadChart(run)]] as const) {
    if (svg === undefined) continue;
    const file = path.join(CHARTS_DIR, `${name}.svg`);
    writeFileSync(file, svg);
    written.push(file);
  }
  return written;
}

export { systemLabel };
