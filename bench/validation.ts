/**
 * Scenario: what the HTTP front door spends to accept a valid body and to
 * reject a bad one of the same size (JSON.parse + the model's row schemas),
 * for the census model's largest request. Rejecting should never cost more
 * than accepting: validation stops once the reported issues are found.
 */
import path from 'node:path';
import { predictSchemas } from '../src/http/predict-schemas.js';
import { loadModelSpec } from '../src/model/manifest.js';
import { modelSchemas } from '../src/registry/model-schemas.js';
import { ROOT } from '../test/helpers/paths.js';
import { formatTable, machine, writeResult } from './lib/results.js';
import { Settings } from './lib/settings.js';

const settings = new Settings(['rows', 'repeats']);
const rows = settings.int('rows', 'BENCH_ROWS', 4096);
const repeats = settings.int('repeats', 'BENCH_REPEATS', 30);

const { manifest } = await loadModelSpec(path.join(ROOT, 'models', 'census-income'));
const schemas = predictSchemas(modelSchemas(manifest), { maxRequestRows: rows });
const example = manifest.example!;
const badRow = Object.fromEntries(Object.keys(manifest.input.properties).map((name) => [name, [1]]));
const bodies = {
  valid: JSON.stringify({ instances: Array.from({ length: rows }, () => example) }),
  'every field wrong': JSON.stringify({ instances: Array.from({ length: rows }, () => badRow) }),
  'last row wrong': JSON.stringify({ instances: [...Array.from({ length: rows - 1 }, () => example), badRow] }),
};

/** Median ms of parsing and validating `text`, after a few warm-up rounds. */
function median(text: string): number {
  const times: number[] = [];
  for (let i = 0; i < repeats + 5; i++) {
    const start = performance.now();
    schemas.validateBody(JSON.parse(text));
    if (i >= 5) times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const measures = Object.entries(bodies).map(([body, text]) => ({ body, bytes: text.length, ms: Math.round(median(text) * 100) / 100 }));
const valid = measures[0]!.ms;
const table = formatTable(['body', 'bytes', 'ms (median)', '÷ valid'], measures.map((m) => [m.body, m.bytes, m.ms, (m.ms / valid).toFixed(2)]));
const output = { scenario: 'validation', date: new Date().toISOString(), machine: machine(), settings: { rows, repeats }, measures };
const file = writeResult('validation', output);
process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
process.stderr.write(`${table}\n(results: ${file})\n`);
