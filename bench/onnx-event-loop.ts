/**
 * `npm run bench:onnx-event-loop`: why ONNX models run on worker threads.
 * Runs 1,024-row census batches for `--duration` s (default 10) two ways —
 * `session.run` on the main thread, and through the gateway's pool of 2
 * threads — while `monitorEventLoopDelay` measures how long the event loop
 * (which serves every HTTP request) is held up. Prints a table and JSON.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { OnnxBackend } from '../src/backends/onnx/onnx-backend.js';
import { PythonBackend } from '../src/backends/python/python-backend.js';
import { PYTHON_DIR } from '../src/config/config.js';
import { createLogger } from '../src/logger.js';
import { loadModelSpec } from '../src/model/manifest.js';
import { readAdult } from '../test/helpers/adult.js';
import { CENSUS_ONNX_DIR } from './lib/raw-onnx-time.js';
import { Settings } from './lib/settings.js';
import { encodeInputs } from '../src/backends/onnx/row-tensors.js';
import { bindOnnx } from '../src/model/onnx-binding.js';
import { readGraphSignature } from '../src/model/onnx-signature.js';
import { artifactPath } from '../src/model/manifest.js';

const BATCH = 1024;

interface Outcome {
  readonly how: string;
  readonly rowsPerSec: number;
  readonly loopDelayMs: { readonly p50: number; readonly p99: number; readonly max: number };
}

async function measure(how: string, durationS: number, runBatch: (i: number) => Promise<void>, parallel: number): Promise<Outcome> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const end = performance.now() + durationS * 1000;
  let batches = 0;
  delay.enable();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async (_, lane) => {
      while (performance.now() < end) {
        await runBatch(batches * parallel + lane);
        batches += 1;
      }
    }),
  );
  delay.disable();
  const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
  return { how, rowsPerSec: Math.round((batches * BATCH) / ((performance.now() - started) / 1000)), loopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) } };
}

async function main(): Promise<void> {
  const durationS = new Settings(['duration']).int('duration', 'BENCH_DURATION', 10);
  const rows = readAdult().map((r) => r.row);
  const slice = (i: number) => Array.from({ length: BATCH }, (_, j) => rows[(i * BATCH + j) % rows.length]!);
  const spec = await loadModelSpec(CENSUS_ONNX_DIR);
  const outcomes: Outcome[] = [];

  const ort = await import('onnxruntime-node');
  const { binding } = bindOnnx(spec.manifest.onnx, spec.manifest.input, spec.manifest.output, await readGraphSignature(artifactPath(spec)!));
  const session = await ort.InferenceSession.create(artifactPath(spec)!, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
  const fetches = [...new Set(binding.outputs.map((o) => o.tensor))];
  outcomes.push(
    await measure('session.run on the main thread', durationS, async (i) => {
      const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
      for (const [name, t] of Object.entries(encodeInputs(binding, slice(i)))) feeds[name] = new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
      await session.run(feeds, fetches);
    }, 1),
  );
  await session.release();

  const python = new PythonBackend({ pythonDir: PYTHON_DIR, python: 'python3', workerPython: undefined, workerStartTimeoutMs: 120_000 });
  const pool = new OnnxBackend({ python, workerStartTimeoutMs: 120_000 }).createPool(spec, 2, { onWorkerReady: () => undefined, onWorkerRestart: () => undefined }, createLogger('warn', false));
  await pool.start();
  outcomes.push(
    await measure('the gateway\'s pool of 2 worker threads', durationS, async (i) => {
      const worker = pool.pick();
      if (worker === undefined) throw new Error('no idle thread: the lanes outnumber the threads');
      await worker.run(slice(i));
    }, 2),
  );
  await pool.stop();

  process.stdout.write(`| 1,024-row census batches, ${durationS} s | rows/s | event-loop delay p50 ms | p99 ms | max ms |\n| --- | ---: | ---: | ---: | ---: |\n`);
  for (const o of outcomes) process.stdout.write(`| ${o.how} | ${o.rowsPerSec.toLocaleString('en-US')} | ${o.loopDelayMs.p50} | ${o.loopDelayMs.p99} | ${o.loopDelayMs.max} |\n`);
  process.stdout.write(`${JSON.stringify({ date: new Date().toISOString(), durationS, outcomes })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:onnx-event-loop: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
