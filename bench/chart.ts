/**
 * Redraws bench/charts/workers.svg from a saved `workers` result:
 *   npx tsx bench/chart.ts bench/results/workers-<date>.json
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT as ROOT } from '../src/config/config.js';
import { workersChart, type WorkersRun } from './lib/workers-chart.js';

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write('usage: npx tsx bench/chart.ts bench/results/workers-<date>.json\n');
  process.exit(2);
}
const result = JSON.parse(readFileSync(file, 'utf8')) as { date: string; runs: WorkersRun[] };
const out = path.join(ROOT, 'bench', 'charts', 'workers.svg');
writeFileSync(out, workersChart(result.runs, result.date));
process.stderr.write(`wrote ${out}\n`);
