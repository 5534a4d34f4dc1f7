/**
 * Scenario: the predict scenario once per worker count, each against a fresh
 * gateway, to choose the default `--workers` for this machine. With
 * `--repeat R` the counts are run R times interleaved (1,2,3,4,1,2,…) so slow
 * drift of the machine spreads over every count, and the median run is shown.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PREDICT_FLAGS, readPredictSettings, runPredict, summarize, warnIfBusy, type PredictResult } from './predict.js';
import { formatTable, machine, writeResult } from './lib/results.js';
import { PACKAGE_ROOT as ROOT } from '../src/config/config.js';
import { Settings } from './lib/settings.js';
import { workersChart } from './lib/workers-chart.js';

const settings = new Settings([...PREDICT_FLAGS.filter((flag) => flag !== 'workers' && flag !== 'url'), 'counts', 'repeat', 'pause']);
const base = { ...readPredictSettings(settings), url: undefined };
const counts = settings.intList('counts', 'BENCH_WORKER_COUNTS', [1, 2, 3, 4]);
const repeat = settings.int('repeat', 'BENCH_REPEAT', 1);
// Lets the previous gateway's Python processes finish exiting before the next one loads the model.
const pauseS = settings.int('pause', 'BENCH_PAUSE', 2, 0);

warnIfBusy();
const runs: PredictResult[] = [];
for (let round = 0; round < repeat; round++) {
  for (const workers of counts) {
    const result = await runPredict({ ...base, workers });
    process.stderr.write(`${summarize(result)}\n`);
    runs.push(result);
    await sleep(pauseS * 1000);
  }
}

/** The run with the median req/s for one worker count (the lower middle one for an even count). */
function medianRun(workers: number): { median: PredictResult; all: PredictResult[] } {
  const all = runs.filter((r) => r.settings.workers === workers).sort((a, b) => a.reqPerSec - b.reqPerSec);
  return { median: all[Math.floor((all.length - 1) / 2)]!, all };
}

const table = formatTable(
  ['workers', 'req/s', 'range', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'rows/batch', 'errors', 'non-2xx'],
  counts.map((workers) => {
    const { median: r, all } = medianRun(workers);
    return [
      workers,
      r.reqPerSec.toFixed(0),
      `${all[0]!.reqPerSec.toFixed(0)}–${all.at(-1)!.reqPerSec.toFixed(0)}`,
      r.latencyMs.p50,
      r.latencyMs.p90,
      r.latencyMs.p99,
      r.latencyMs.max,
      r.batches?.meanRows ?? '-',
      all.reduce((sum, run) => sum + run.errors + run.timeouts, 0),
      all.reduce((sum, run) => sum + run.non2xx, 0),
    ];
  }),
);
const output = { scenario: 'workers', date: new Date().toISOString(), machine: machine(), settings: { ...base, counts, repeat }, runs };
const file = writeResult('workers', output);
const chart = path.join(ROOT, 'bench', 'charts', 'workers.svg');
writeFileSync(chart, workersChart(runs, output.date));
process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
process.stderr.write(`\n${table}\n(median of ${repeat} run(s) per count; errors and non-2xx summed over all; results: ${file}; chart: ${chart})\n`);
