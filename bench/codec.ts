/**
 * Scenario: the Node half of the worker protocol's payload codec, MessagePack
 * (msgpackr, as the gateway uses it) against JSON, per batch of N rows.
 * The Python half is python/bench/codec.py.
 */
import { decodePayload, FrameKind, packPayload } from '../src/protocol/messages.js';
import type { Row } from '../src/model/row-schema.js';
import { readAdult } from '../test/helpers/adult.js';
import { formatTable, machine, writeResult } from './lib/results.js';
import { Settings } from './lib/settings.js';

const settings = new Settings(['sizes', 'time-ms']);
const sizes = settings.intList('sizes', 'BENCH_SIZES', [1, 64, 256, 1024]);
const timeMs = settings.int('time-ms', 'BENCH_TIME_MS', 1000);

// The gateway's own codec (src/protocol/messages.ts), so the figures are what it pays.
const packr = {
  pack: packPayload,
  unpack: (payload: Buffer): unknown => decodePayload({ kind: FrameKind.RESULT, id: 1, payload }),
};

/** Results shaped like the model's: probability of the chosen class (0.5–1) and its label. */
function fakeResults(n: number): { probability: number; income: string }[] {
  let seed = 12345;
  return Array.from({ length: n }, () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const probability = 0.5 + (seed / 2 ** 31) * 0.5;
    return { probability, income: probability > 0.75 ? '>50K' : '<=50K' };
  });
}

interface Measure {
  readonly n: number;
  readonly op: 'encode rows' | 'decode results';
  readonly codec: 'msgpack' | 'json';
  readonly bytes: number;
  readonly usPerBatch: number;
  readonly opsPerSec: number;
}

// Keeps every output reachable so V8 cannot drop the work as dead code.
let sink = 0;

/** Runs `fn` for about `timeMs` (after a tenth of that as warm-up) and returns µs per call. */
function time(fn: () => number): number {
  const run = (budgetMs: number): number => {
    let calls = 0;
    let batch = 1;
    const start = performance.now();
    let elapsed = 0;
    // Calls go in growing batches so the clock is read rarely for the fast cases.
    while (elapsed < budgetMs) {
      for (let i = 0; i < batch; i++) sink += fn();
      calls += batch;
      elapsed = performance.now() - start;
      if (elapsed < budgetMs / 10) batch *= 2;
    }
    return (elapsed * 1000) / calls;
  };
  run(timeMs / 10);
  return run(timeMs);
}

const allRows: Row[] = readAdult().slice(0, Math.max(...sizes)).map(({ row }) => row);
const measures: Measure[] = [];
for (const n of sizes) {
  const rows = allRows.slice(0, n);
  const results = fakeResults(n);
  const packedResults = packr.pack(results);
  const jsonResults = Buffer.from(JSON.stringify(results));
  const cases: [Measure['op'], Measure['codec'], number, () => number][] = [
    ['encode rows', 'msgpack', packr.pack(rows).length, () => packr.pack(rows).length],
    ['encode rows', 'json', Buffer.byteLength(JSON.stringify(rows)), () => Buffer.from(JSON.stringify(rows)).length],
    ['decode results', 'msgpack', packedResults.length, () => (packr.unpack(packedResults) as unknown[]).length],
    ['decode results', 'json', jsonResults.length, () => (JSON.parse(jsonResults.toString('utf8')) as unknown[]).length],
  ];
  for (const [op, codec, bytes, fn] of cases) {
    const us = time(fn);
    measures.push({ n, op, codec, bytes, usPerBatch: Math.round(us * 100) / 100, opsPerSec: Math.round(1e6 / us) });
  }
}

const rowsOut = sizes.flatMap((n) =>
  (['encode rows', 'decode results'] as const).map((op) => {
    const mp = measures.find((m) => m.n === n && m.op === op && m.codec === 'msgpack')!;
    const js = measures.find((m) => m.n === n && m.op === op && m.codec === 'json')!;
    const ratio = js.usPerBatch / mp.usPerBatch;
    return [`${op} N=${n}`, mp.usPerBatch, js.usPerBatch, ratio >= 1 ? `msgpack ×${ratio.toFixed(2)}` : `json ×${(1 / ratio).toFixed(2)}`, mp.bytes, js.bytes];
  }),
);
const table = formatTable(['node', 'msgpack µs', 'json µs', 'faster', 'msgpack B', 'json B'], rowsOut);
const output = { scenario: 'codec-node', date: new Date().toISOString(), machine: machine(), settings: { sizes, timeMs }, measures, sink: sink > 0 };
const file = writeResult('codec-node', output);
process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
process.stderr.write(`${table}\n(results: ${file})\n`);
