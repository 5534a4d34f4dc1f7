/**
 * `npx tsx bench/wide-integers.ts`: what widening whole numbers beyond 32 bits
 * (src/protocol/wide-integers.ts) costs beside packing the same batch, on
 * rows that hold none (the common case), per batch, in one process.
 */
import { readFileSync } from 'node:fs';
import { widenIntegers } from '../src/protocol/wide-integers.js';
import { encodeFrame, FrameKind } from '../src/protocol/messages.js';
const manifest = JSON.parse(readFileSync(new URL('../models/census-income/model.json', import.meta.url), 'utf8'));
const census = Array.from({ length: 1024 }, (_, i) => ({ ...manifest.example, age: 20 + (i % 50) }));
const digits = Array.from({ length: 1024 }, (_, i) => ({ pixels: Array.from({ length: 64 }, (_, j) => (i + j) % 17) }));
function time(f: () => unknown, n = 2000) {
  for (let i = 0; i < 200; i++) f();
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  return Number(process.hrtime.bigint() - t) / n / 1000;
}
for (const [name, rows] of [['census 1024 rows', census], ['digits 1024 rows', digits], ['census 1 row', census.slice(0, 1)]] as const) {
  const w = time(() => widenIntegers(rows));
  const e = time(() => encodeFrame(FrameKind.PREDICT, 1, rows));
  console.log(`${name}: widenIntegers ${w.toFixed(1)} µs, encodeFrame ${e.toFixed(1)} µs, widen/encode ${(w / e * 100).toFixed(1)} %`);
}
