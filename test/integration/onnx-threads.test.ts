import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxBackend } from '../../src/backends/onnx/onnx-backend.js';
import type { OnnxThreadPool } from '../../src/backends/onnx/onnx-thread-pool.js';
import { PythonBackend } from '../../src/backends/python/python-backend.js';
import { Engine } from '../../src/engine/engine.js';
import { ModelError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { loadModelSpec } from '../../src/model/manifest.js';
import type { Row } from '../../src/model/row-schema.js';
import { CENSUS_PYTHON, PYTHON_DIR } from '../helpers/paths.js';
import { toyOnnxModel } from '../helpers/toy-onnx.js';

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'fatal', false);
const MARKER_THREAD = new URL('../fixtures/onnx/marker-thread.ts', import.meta.url);
const EXIT_TOKEN = path.join(os.tmpdir(), `gw-onnx-exit-once-${process.pid}`);

function row(tag: string, x = 1): Row {
  return { features: [x, 2, 3], tag };
}

/** A real engine over a real pool of piscina threads running onnxruntime-node, with the marker thread module. */
async function startEngine(workers: number): Promise<{ engine: Engine; pool: OnnxThreadPool; close(): Promise<void> }> {
  process.env.GW_TEST_EXIT_ONCE = EXIT_TOKEN;
  const spec = await loadModelSpec(toyOnnxModel());
  const python = new PythonBackend({ pythonDir: PYTHON_DIR, python: 'python3', workerPython: CENSUS_PYTHON, workerStartTimeoutMs: 60_000 });
  const backend = new OnnxBackend({ python, workerStartTimeoutMs: 60_000, threadModule: MARKER_THREAD });
  let engine: Engine | undefined;
  const pool = backend.createPool(spec, workers, { onWorkerReady: () => engine?.drain(), onWorkerRestart: () => undefined }, logger) as OnnxThreadPool;
  engine = new Engine({ maxBatchRows: 1024, maxQueueRows: 65_536, workers: pool });
  await pool.start();
  return {
    engine,
    pool,
    async close() {
      await engine.close();
      await pool.stop();
    },
  };
}

describe('ONNX worker threads', () => {
  let setup: Awaited<ReturnType<typeof startEngine>>;
  beforeAll(async () => {
    setup = await startEngine(2);
  });
  afterAll(async () => {
    await setup.close();
  });

  it('answers a batch from the session, row by row', async () => {
    const { results } = await setup.engine.predict([row('a', 1), row('b', 10)], { timeoutMs: 30_000, source: 'http' });
    expect(results).toEqual([
      { total: 6, doubled: [2, 4, 6], tag_out: 'a' },
      { total: 15, doubled: [20, 4, 6], tag_out: 'b' },
    ]);
  });

  it('fails only the row a thread throws on: the batch is bisected', async () => {
    const rows = Array.from({ length: 64 }, (_, i) => row(i === 37 ? 'boom' : `r${i}`, i));
    const outcomes = await Promise.allSettled(rows.map((r) => setup.engine.predict([r], { timeoutMs: 30_000, source: 'http' })));
    outcomes.forEach((outcome, i) => {
      if (i === 37) {
        expect(outcome.status).toBe('rejected');
        const error = (outcome as PromiseRejectedResult).reason as ModelError;
        expect(error).toBeInstanceOf(ModelError);
        expect(error.workerCode).toBe('ONNX_RUN_ERROR');
      } else {
        expect(outcome.status).toBe('fulfilled');
        expect((outcome as PromiseFulfilledResult<{ results: Row[] }>).value.results[0]!.tag_out).toBe(`r${i}`);
      }
    });
  });

  it('replaces a thread that ends mid-batch and answers the batch', async () => {
    writeFileSync(EXIT_TOKEN, '');
    const rows = Array.from({ length: 32 }, (_, i) => row(i === 5 ? 'exit-once' : `r${i}`, i));
    const { results } = await setup.engine.predict(rows, { timeoutMs: 60_000, source: 'http' });
    // The token is gone: a thread did exit under the batch, and every row was answered anyway.
    expect(existsSync(EXIT_TOKEN)).toBe(false);
    expect(results.map((r) => r.tag_out)).toEqual(rows.map((r) => r.tag));
    await expect.poll(() => setup.pool.readyCount, { timeout: 60_000 }).toBe(2);
  });

  it('runs batches on worker threads, not on the event loop', async () => {
    const { results } = await setup.engine.predict([row('thread-id')], { timeoutMs: 30_000, source: 'http' });
    // The main thread's threadId is 0.
    expect(results[0]!.total).toBeGreaterThan(0);
  });
});
