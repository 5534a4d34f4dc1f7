/**
 * `npm run bench:soak`: holds a fixed rate of 80 % of the gateway's peak for
 * 10 minutes (`--duration`), then reports the memory (VmRSS) of the gateway
 * and each worker at start and end, errors, and the p99 of every minute, so
 * a leak or a slow drift shows. Writes bench/results/soak-<date>.json and the
 * "soak" section of bench/RESULTS.md.
 */
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT as ROOT } from '../src/config/config.js';
import { readAdult } from '../test/helpers/adult.js';
import { closedLoop } from './lib/closed-loop.js';
import { startGateway } from './lib/gateway-process.js';
import { censusModelInfo } from './lib/model-info.js';
import { markdownTable, replaceSection } from './lib/markdown-section.js';
import { openLoop, type OpenLoopResult } from './lib/open-loop.js';
import { processTree, type ProcessMemory } from './lib/process-tree.js';
import { loadAverage, machine, writeResult } from './lib/results.js';
import { Settings } from './lib/settings.js';

const settings = new Settings(['duration', 'load', 'rate', 'peak-duration', 'window', 'workers', 'slo-ms', 'connections', 'rows', 'markdown']);
const durationS = settings.int('duration', 'BENCH_SOAK_DURATION', 600);
const windowS = settings.int('window', 'BENCH_SOAK_WINDOW', Math.min(60, durationS));
const loadShare = settings.optionalNumber('load', 'BENCH_SOAK_LOAD') ?? 0.8;
const peakDurationS = settings.int('peak-duration', 'BENCH_SOAK_PEAK_DURATION', 15);
const connections = settings.int('connections', 'BENCH_SOAK_CONNECTIONS', 1024);

interface MemorySample {
  readonly atS: number;
  readonly processes: readonly ProcessMemory[];
  readonly totalMiB: number;
}

function sample(pid: number, atS: number): MemorySample {
  const processes = processTree(pid);
  return { atS, processes, totalMiB: Math.round(processes.reduce((sum, p) => sum + p.rssMiB, 0) * 10) / 10 };
}

/** Gateway first, then its workers; a worker restarted during the soak shows with a new pid. */
function memoryTable(start: MemorySample, end: MemorySample): string {
  const label = (p: ProcessMemory, i: number): string => (i === 0 ? `gateway (node, pid ${p.pid})` : `${p.name} pid ${p.pid}`);
  const rows = start.processes.map((p, i) => {
    const after = end.processes.find((q) => q.pid === p.pid);
    return [label(p, i), p.rssMiB, after?.rssMiB ?? 'gone', after ? (Math.round((after.rssMiB - p.rssMiB) * 10) / 10).toString() : ''];
  });
  for (const p of end.processes) if (!start.processes.some((q) => q.pid === p.pid)) rows.push([`${p.name} pid ${p.pid} (new)`, '', p.rssMiB, '']);
  rows.push(['total', start.totalMiB, end.totalMiB, (Math.round((end.totalMiB - start.totalMiB) * 10) / 10).toString()]);
  return markdownTable(['process', 'RSS at start MiB', 'RSS at end MiB', 'change MiB'], rows);
}

function markdown(result: {
  date: string;
  command: string;
  peakReqPerSec: number | null;
  load: OpenLoopResult;
  memory: { start: MemorySample; end: MemorySample };
  loadAverage: { before: number[]; after: number[] };
  objectiveMs: number;
}): string {
  const { load } = result;
  const p99s = load.windows.map((w) => w.okLatencyMs.p99);
  const drift = p99s.length > 1 ? Math.round((p99s.at(-1)! - p99s[0]!) * 10) / 10 : 0;
  const m = machine();
  return [
    `## Soak (\`npm run bench:soak\`)`,
    '',
    `Measured ${result.date} with \`${result.command}\`: ${load.ratePerSec} req/s fixed rate (${result.peakReqPerSec ? `${Math.round(loadShare * 100)} % of the ${Math.round(result.peakReqPerSec)} req/s peak measured first` : 'rate given'}) for ${load.durationS} s, single rows, open loop. ` +
      `Machine: ${m.cpus} cores, ${m.memoryGiB} GiB, Node ${m.node}; load average before ${result.loadAverage.before.join(' / ')}, after ${result.loadAverage.after.join(' / ')}.`,
    '',
    `Sent ${load.sent}, 2xx ${load.ok}, refused (503/429) ${load.refused}, other non-2xx ${load.otherNon2xx}, errors (no answer) ${load.errors}, not sent ${load.notSent}. p99 of accepted: ${load.okLatencyMs.p99.toFixed(1)} ms overall; drift from the first window to the last ${drift >= 0 ? '+' : ''}${drift} ms (objective ${result.objectiveMs} ms).`,
    '',
    markdownTable(
      ['window', 'sent', '2xx', 'refused', 'failed', 'p50 ms', 'p99 ms', 'max ms'],
      load.windows.map((w) => [`${w.startS}–${w.startS + windowS} s`, w.sent, w.ok, w.refused, w.failed, w.okLatencyMs.p50.toFixed(1), w.okLatencyMs.p99.toFixed(1), w.okLatencyMs.max.toFixed(1)]),
    ),
    '',
    memoryTable(result.memory.start, result.memory.end),
  ].join('\n');
}

async function main(): Promise<void> {
  const before = loadAverage();
  if (before[0]! > os.cpus().length / 2) process.stderr.write(`soak: load average ${before[0]} before start: something else is busy\n`);
  const objectiveMs = settings.int('slo-ms', 'BENCH_SLO_MS', censusModelInfo().objectiveMs ?? 100);
  const gateway = await startGateway({ workers: settings.optionalInt('workers', 'BENCH_WORKERS'), latencySloMs: objectiveMs });
  try {
    const rows = readAdult().slice(0, settings.int('rows', 'BENCH_ROWS', 1024));
    const bodies = rows.map(({ row }) => Buffer.from(JSON.stringify(row)));
    let rate = settings.optionalInt('rate', 'BENCH_SOAK_RATE');
    let peakReqPerSec: number | null = null;
    if (rate === undefined) {
      // The peak of this very gateway, which also warms it up before the first memory sample.
      const peak = await closedLoop({ url: gateway.url, path: '/predict', bodies, connections: 64, durationS: peakDurationS });
      peakReqPerSec = peak.okPerSec;
      rate = Math.max(1, Math.round(peak.okPerSec * loadShare));
      process.stderr.write(`soak: peak ${peak.okPerSec.toFixed(0)} req/s (p99 ${peak.latencyMs.p99} ms); holding ${rate} req/s for ${durationS} s\n`);
    }
    const start = sample(gateway.pid, 0);
    process.stderr.write(`soak: RSS at start ${start.processes.map((p) => `${p.name}:${p.pid} ${p.rssMiB} MiB`).join(', ')}\n`);
    const load = await openLoop({
      url: gateway.url,
      path: '/predict',
      bodies,
      ratePerSec: rate,
      durationS,
      connections,
      objectiveMs,
      windowS,
      onWindow: (w) => {
        const now = sample(gateway.pid, w.startS + windowS);
        process.stderr.write(`soak ${w.startS}–${w.startS + windowS} s: sent ${w.sent}, 2xx ${w.ok}, refused ${w.refused}, failed ${w.failed}, p99 ${w.okLatencyMs.p99.toFixed(1)} ms, RSS total ${now.totalMiB} MiB\n`);
      },
    });
    const end = sample(gateway.pid, durationS);
    const date = new Date().toISOString();
    const command = ['npm run bench:soak', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
    const result = { scenario: 'soak', date, command, machine: machine(), peakReqPerSec, load, memory: { start, end }, loadAverage: { before, after: loadAverage() }, objectiveMs };
    const file = writeResult('soak', result);
    if (settings.bool('markdown', 'BENCH_MARKDOWN', true)) replaceSection(path.join(ROOT, 'bench', 'RESULTS.md'), 'soak', markdown(result));
    process.stderr.write(`\n${markdown(result)}\n\n(results: ${path.relative(ROOT, file)})\n`);
    if (load.errors + load.otherNon2xx > 0) process.exitCode = 1;
  } finally {
    await gateway.stop();
  }
}

// Ctrl-C: leave through process.exit so the 'exit' hook kills the gateway and its workers.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
main().catch((error: unknown) => {
  process.stderr.write(`soak: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
