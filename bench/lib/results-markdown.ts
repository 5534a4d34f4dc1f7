import { systemLabel } from './comparison-charts.js';
import { markdownTable } from './markdown-section.js';
import type { RunResult } from './run-result.js';
import { checkTargets } from './targets.js';
import { gatewaySideText, type GatewaySideLatency } from '../scenarios/overload.js';
import { coresText } from '../scenarios/overload-batched.js';
import { goodputRatioOf, type RobustnessResult } from '../scenarios/objective-robustness.js';

const f = (v: number, digits = 0): string => v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const settingsOf = (s: Readonly<Record<string, unknown>>): string =>
  Object.entries(s)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(' ') : String(v)}`)
    .join(', ') || 'defaults';

function header(run: RunResult): string {
  const m = run.machine;
  return [
    `## Side by side (\`npm run bench\`)`,
    '',
    `Measured ${run.date} with \`${run.command}\` (${Math.round(run.durationS / 60)} min). Machine: ${m.cpus} cores (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}, ${m.python}; load average before ${run.loadAverage.before.join(' / ')}, after ${run.loadAverage.after.join(' / ')} (1 / 5 / 15 min). ` +
      `Model: ${run.model}. Client, servers and model share the same cores; a load average above ~1 before the run means another process took part of them.`,
  ].join('\n');
}

function targets(run: RunResult): string {
  const mark = (met: boolean | null): string => (met === null ? '–' : met ? 'met' : '**missed**');
  return ['### Targets (issue 3), ratios from this run', '', markdownTable(['target', 'measured', ''], checkTargets(run).map((c) => [c.target, c.measured, mark(c.met)]))].join('\n');
}

function peak(run: RunResult): string | undefined {
  if (!run.peak?.length) return undefined;
  const first = run.peak[0]!;
  const rows = run.peak.map((r) => [
    systemLabel(r.system),
    f(r.okPerSec),
    r.latencyMs.p50,
    r.latencyMs.p90,
    r.latencyMs.p99,
    r.latencyMs.max,
    r.errors + r.timeouts,
    r.non2xx,
    r.batches ? f(r.batches.meanRows, 1) : '',
    settingsOf(r.systemSettings),
  ]);
  return [
    `### Peak: single rows, ${first.connections} connections, ${Math.round(first.durationS)} s (closed loop, autocannon)`,
    '',
    '![req/s per system](charts/peak.svg)',
    '',
    markdownTable(['system', '2xx req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors', 'non-2xx', 'rows/batch', 'settings'], rows),
    '',
    'MLServer receives the same rows through its V2 endpoint (`/v2/models/census-income/infer`, pandas content type, `predict_proba` output); the others take the row as a JSON object on `/predict`.',
  ].join('\n');
}

function lowLoad(run: RunResult): string | undefined {
  const low = run.lowLoad;
  if (!low?.runs.length) return undefined;
  const rows = low.runs.map((r) => [
    systemLabel(r.system),
    f(r.reqPerSec),
    f(r.latencyMs.p50, 2),
    f(r.latencyMs.p90, 2),
    f(r.latencyMs.p99, 2),
    r.addedP50Ms === null ? '' : f(r.addedP50Ms, 2),
    r.failures,
  ]);
  return [
    '### Low load: one connection, one request at a time',
    '',
    `The model alone: \`predict()\` of one row in-process, median ${low.rawModel.medianMs} ms (min ${low.rawModel.minMs}, p90 ${low.rawModel.p90Ms}; the lowest median of the runs timed beside each system). "Added" is a system's p50 round trip minus that median: HTTP, the client, and for the gateway the engine and the worker pipe.` +
      (low.rawOnnx ? ` For gateway (ONNX) the floor is the ONNX export's own \`session.run\` of one row in-process (a different row each call), median ${low.rawOnnx.medianMs} ms (min ${low.rawOnnx.minMs}, p90 ${low.rawOnnx.p90Ms}); its "added" is the gateway's share: HTTP, the engine, the row mapping and the thread hand-off.` : ''),
    '',
    '![p50 per system at one connection](charts/low-load.svg)',
    '',
    markdownTable(['system', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'added p50 ms', 'failures'], rows),
  ].join('\n');
}

function overload(run: RunResult): string | undefined {
  if (!run.overload?.length) return undefined;
  const peakOf = (name: string): number | undefined => run.peak?.find((r) => r.system === name)?.okPerSec;
  const gatewayPeak = peakOf('gateway');
  const first = run.overload[0]!;
  const rows = run.overload.map((r) => [
    systemLabel(r.system),
    f(r.sent / r.durationS),
    f(r.okPerSec),
    f(r.okWithinObjective / r.durationS),
    gatewayPeak ? `${f((r.okPerSec / gatewayPeak) * 100)} %` : '',
    f(r.okLatencyMs.p50, 1),
    f(r.okLatencyMs.p99, 1),
    `${f(r.refusedShare * 100, 1)} %`,
    r.refused === 0 ? '' : `${f(r.refusedLatencyMs.p50, 2)} / ${f(r.refusedLatencyMs.p99, 2)}`,
    r.errors,
    r.otherNon2xx,
    r.notSent,
    r.sentWhileSocketsBusy,
  ]);
  return [
    `### Overload: fixed rate ${f(first.ratePerSec)} req/s (2x the gateway's peak), ${first.durationS} s`,
    '',
    `Open loop (bench/lib/open-loop.ts, undici, up to ${run.settings.overloadConnections as number} sockets): requests start on schedule whatever the server does. Goodput is 2xx per second; "within objective" counts only those answered within ${run.objectiveMs} ms; refusals are 503/429, timed from send to answer. "Not sent": the client's own cap of outstanding requests was reached; "waited for a socket": sent while all sockets were busy, so part of that latency is the client's (0 when the figures are clean).`,
    '',
    markdownTable(['system', 'sent req/s', 'goodput req/s', 'within objective req/s', 'of gateway peak', 'p50 accepted ms', 'p99 accepted ms', 'refused', 'refusal p50 / p99 ms', 'errors', 'other non-2xx', 'not sent', 'waited for a socket'], rows),
    '',
    `Client send lag (how late the schedule ran, gateway run): p99 ${f(first.sendLagMs.p99, 2)} ms; client CPU ${first.clientCpuPercent} % of a core.` +
      feasibilityNote(run.overload.find((r) => r.system === 'gateway')?.objectiveFeasible) +
      gatewaySideNote(run.overload.find((r) => r.system === 'gateway')?.gatewaySide, run.objectiveMs),
  ].join('\n');
}

function overloadBatched(run: RunResult): string | undefined {
  const o = run.overloadBatched;
  if (o === undefined) return undefined;
  const k = o.rowsPerRequest;
  const { peak, open } = o;
  const rows = [
    ['closed loop', f(peak.okPerSec), f(peak.okPerSec * k), '', peak.latencyMs.p50, peak.latencyMs.p99, `${f((peak.non2xx / Math.max(1, peak.requests)) * 100, 1)} %`, ''],
    [
      `open loop at ${o.factor}x`,
      f(open.okPerSec),
      f(open.okPerSec * k),
      `${f(o.ofPeak * 100)} %`,
      f(open.okLatencyMs.p50, 1),
      f(open.okLatencyMs.p99, 1),
      `${f(o.refusedShare * 100, 1)} %`,
      open.refused === 0 ? '' : `${f(open.refusedLatencyMs.p50, 2)} / ${f(open.refusedLatencyMs.p99, 2)}`,
    ],
  ];
  return [
    `### Overload past capacity: ${k}-row requests at ${o.factor}x their closed loop's goodput, ${open.durationS} s`,
    '',
    `One gateway with its objective (${run.objectiveMs} ms): ${peak.connections} connections of ${k}-row requests in a closed loop (enough rows to fill the biggest batches), then an open loop at ${f(open.ratePerSec)} req/s (${f(open.ratePerSec * k)} rows/s), more than the workers can compute. Latencies are per request.`,
    '',
    markdownTable(['load', '2xx req/s', 'rows/s', 'of the closed loop', 'p50 ms', 'p99 ms', 'refused', 'refusal p50 / p99 ms'], rows),
    '',
    `Client send lag p99 ${f(open.sendLagMs.p99, 2)} ms; client CPU ${open.clientCpuPercent} % of a core.` + feasibilityNote(o.objectiveFeasible) + gatewaySideNote(o.gatewaySide, run.objectiveMs),
    // Absent from runs before the measure was added.
    ...(o.cores === undefined
      ? []
      : ['', `The shared cores: ${coresText(o.cores, k, peak.okPerSec, open.okPerSec)}. On shared cores what the open loop's client takes comes out of the workers' share.`]),
  ].join('\n');
}

function batching(run: RunResult, onnx = false): string | undefined {
  const b = onnx ? run.batchingOnnx : run.batching;
  if (!b?.runs.length) return undefined;
  const raw = new Map(b.rawModel.map((m) => [m.n, m]));
  const rows = b.runs.map((r) => [
    r.maxBatchRows,
    f(r.rowsPerSec),
    f(r.okPerSec),
    r.latencyMs.p50,
    r.latencyMs.p99,
    r.batches ? f(r.batches.meanRows, 1) : '',
    r.non2xx + r.errors + r.timeouts,
    raw.get(r.maxBatchRows) ? f(raw.get(r.maxBatchRows)!.rowsPerSec) : '',
    raw.get(r.maxBatchRows) ? f(raw.get(r.maxBatchRows)!.medianMs, 1) : '',
  ]);
  const auto = b.auto
    ? `With default settings (latency objective ${run.objectiveMs} ms, max ${b.auto.maxBatchRows} rows, the cap left to the cost model): **${f(b.auto.rowsPerSec)} rows/s**, p99 ${b.auto.latencyMs.p99} ms, ${b.auto.batches ? f(b.auto.batches.meanRows, 1) : '?'} rows/batch, cap at the end ${b.auto.capRows ?? '?'} rows, ${f(b.auto.non2xx)} requests refused (503) by admission.`
    : undefined;
  return [
    onnx
      ? `### Effect of batching on throughput: ONNX Runtime on worker threads (gateway-onnx, 64 connections × ${b.rowsPerRequest}-row requests)`
      : `### Effect of batching on throughput (gateway, 64 connections × ${b.rowsPerRequest}-row requests)`,
    '',
    onnx ? '![rows/s and p99 against the batch cap, ONNX](charts/batching-onnx.svg)' : '![rows/s and p99 against the batch cap](charts/batching.svg)',
    '',
    markdownTable(['max batch rows', 'rows/s (2xx)', '2xx req/s', 'p50 ms', 'p99 ms', 'rows/batch', 'failed', `model alone rows/s${onnx ? ' (session.run)' : ''}`, 'model alone ms/call'], rows),
    ...(auto === undefined ? [] : ['', auto]),
  ].join('\n');
}

/** The busy-machine, slow-model and batched-clients scenarios: their own section of RESULTS.md, so they can be rerun alone. */
export function robustnessMarkdown(run: RunResult): string | undefined {
  if (!run.robustness?.length) return undefined;
  const rows = run.robustness.flatMap((r) =>
    r.runs.map((x) => [r.scenario, x.round, x.half, x.gateway, x.objective ? `${run.objectiveMs} ms` : 'none', f(x.okPerSec), x.non2xx, x.latencyMs.p50, x.latencyMs.p99, x.meanBatchRows === null ? '' : f(x.meanBatchRows, 1)]),
  );
  const perRound = (r: RobustnessResult): string =>
    [...new Set(r.runs.map((x) => x.round))].map((round) => goodputRatioOf(r.runs.filter((x) => x.round === round)).toFixed(2)).join(', ');
  const ratios = run.robustness.map(
    (r) => `- **${r.scenario}** (${r.description}): goodput with the objective / without = **${r.goodputRatio.toFixed(2)}** (rounds: ${perRound(r)}), ${(r.refusedShare * 100).toFixed(1)} % of requests refused`,
  );
  const load = `load average before ${run.loadAverage.before.join(' / ')}, after ${run.loadAverage.after.join(' / ')}`;
  return [
    `## Does the latency objective ever cost goodput? (\`${run.command}\`, ${run.date.slice(0, 10)})`,
    '',
    `${run.machine.cpus} cores (${run.machine.cpuModel}); ${load}. Target (issue 14): ratio ≥ 0.9 in each.`,
    '',
    `### Closed loop (${run.settings.connections as number} connections to each of two gateways, A and B, freshly started and run side by side at the same time: A with the objective and B without for the first half of each round, then swapped with \`PATCH /admin/config\`; single rows, batched-clients 32-row requests)`,
    '',
    ...ratios,
    '',
    markdownTable(['scenario', 'round', 'half', 'gateway', 'objective', '2xx req/s', 'refused', 'p50 ms', 'p99 ms', 'rows/batch'], rows),
  ].join('\n');
}

function tuning(run: RunResult): string | undefined {
  if (!run.mlserverTuning?.length) return undefined;
  const rows = run.mlserverTuning.map((r) => [r.tuning.parallelWorkers, r.tuning.maxBatchSize, r.tuning.maxBatchTime, f(r.okPerSec), r.latencyMs.p50, r.latencyMs.p99, r.non2xx + r.errors + r.timeouts]);
  return ['### MLServer tuning grid (single rows, 64 connections)', '', markdownTable(['parallel_workers', 'max_batch_size', 'max_batch_time s', '2xx req/s', 'p50 ms', 'p99 ms', 'failed'], rows)].join('\n');
}

function extra(run: RunResult): string | undefined {
  const entries = Object.entries(run.extra);
  if (entries.length === 0) return undefined;
  return ['### Other scenarios', '', ...entries.map(([name, value]) => `- **${name}**: ${typeof value === 'string' ? value : `\`${JSON.stringify(value).slice(0, 600)}\``}`)].join('\n');
}

/** The generated "side by side" section of bench/RESULTS.md. */
export function resultsMarkdown(run: RunResult): string {
  return [header(run), targets(run), peak(run), lowLoad(run), overload(run), overloadBatched(run), batching(run), batching(run, true), tuning(run), extra(run)].filter((s) => s !== undefined).join('\n\n');
}

function gatewaySideNote(side: GatewaySideLatency | null | undefined, objectiveMs: number): string {
  if (side === undefined || side === null) return '';
  const text = gatewaySideText(side, objectiveMs);
  return ` The same seconds, ${text}. The client's figures also hold its own delays (it shares the cores with the gateway and its workers) and the wait for the gateway's event loop before the route sees a request; the queue wait is the part admission bounds.`;
}

function feasibilityNote(feasible: boolean | null | undefined): string {
  if (feasible === undefined || feasible === null) return '';
  return feasible
    ? ' The gateway judged its objective feasible at the end of the run.'
    : ' The gateway judged its objective **infeasible** at the end of the run (on this machine then, a one-row batch took over half of it, or the batches that fit there would have served less than 1 − `latencySloMaxCost` of what full ones do, 90 % by default), so it batched for throughput: no admission can hold accepted rows to an objective the model cannot meet, and the p99 target cannot be met in such a run.';
}
