import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { WorkerStartError } from '../../src/errors.js';
import { startGateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';
import { BROKEN_MODEL_DIR, CENSUS_PYTHON, STUCK_MODEL_DIR, errorOf, get, post, startTestGateway, TOY_MODEL_DIR, type TestGateway } from '../helpers/gateway.js';
import { ROOT } from '../helpers/paths.js';


/** Polls `/metrics` until the gateway has a batch at a worker: synchronisation on state, not on time. */
async function untilBatchInFlight(gw: TestGateway): Promise<void> {
  await vi.waitFor(
    async () => {
      const metrics = (await get(gw.http, '/metrics')).text;
      expect(metrics).toMatch(/^gateway_batches_in_flight\{model="toy"\} [1-9]/m);
    },
    { timeout: 10_000, interval: 10 },
  );
}

describe('Python workers (toy model)', () => {
  let gw: TestGateway;
  const logLines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    gw = await startTestGateway({ model: TOY_MODEL_DIR, workers: 1 }, pino({ level: 'error' }, sink));
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('predicts through a real worker', async () => {
    const response = await post(gw.http, '/predict', { x: 21 });
    expect(response.status).toBe(200);
    expect((response.body as { y: number }).y).toBe(42);
  });

  it('starts workers with single-threaded BLAS/OpenMP unless the environment says otherwise', async () => {
    // Guards the test itself: the default only applies when the variable is unset.
    expect(process.env.OMP_NUM_THREADS).toBeUndefined();
    const response = await post(gw.http, '/predict', { x: 1 });
    expect((response.body as { ompThreads: string | null }).ompThreads).toBe('1');
  });

  it('turns a handler exception into 500 GW_ERR_MODEL with the handler message, and keeps serving', async () => {
    const response = await post(gw.http, '/predict', { x: 1, mode: 'boom' });
    expect(response.status).toBe(500);
    expect(errorOf(response.body)).toMatchObject({ code: 'GW_ERR_MODEL', workerCode: 'HANDLER_ERROR' });
    expect(errorOf(response.body).message).toMatch(/ValueError: row asked to explode/);
    // The failure is logged, carrying the request's correlation id.
    const requestId = response.headers['x-request-id'];
    expect(logLines.filter((line) => line.requestId === requestId).map((line) => line.code)).toContain('GW_ERR_MODEL');
    const after = await post(gw.http, '/predict', { x: 2 });
    expect(after.status).toBe(200);
  });

  it('hands a whole number beyond 32 bits to Python as an int, and takes an int beyond 32 bits back as a number', async () => {
    const sent = [5_000_000_000, -3_000_000_000, 1_733_000_000_000, 4_000_000_000, 2.5];
    const response = await post(gw.http, '/predict', { instances: sent.map((x) => ({ x, mode: 'type' })) });
    expect(response.status).toBe(200);
    const answers = (response.body as { predictions: { y: number; xType: string }[] }).predictions;
    // Before: 5e9 reached predict() as 5000000000.0 (msgpack float64), and 1.733e12 × 2 came back a bigint the result check refused.
    expect(answers.map((a) => a.xType)).toEqual(['int', 'int', 'int', 'int', 'float']);
    expect(answers.map((a) => a.y)).toEqual(sent.map((x) => x * 2));
  });

  it('reports a handler answering the wrong number of results as GW_ERR_MODEL RESULT_LENGTH', async () => {
    const response = await post(gw.http, '/predict', { instances: [{ x: 1, mode: 'short' }, { x: 2 }] });
    expect(response.status).toBe(500);
    expect(errorOf(response.body)).toMatchObject({ code: 'GW_ERR_MODEL', workerCode: 'RESULT_LENGTH' });
  });

  it('answers 504 GW_ERR_DEADLINE_EXCEEDED when the deadline passes while the rows wait for a worker', async () => {
    const slow = post(gw.http, '/predict', { x: 1, mode: 'sleep', seconds: 1 });
    await untilBatchInFlight(gw);
    const late = await post(gw.http, '/predict', { x: 2 }, { 'x-request-timeout': '50' });
    expect(late.status).toBe(504);
    expect(errorOf(late.body).code).toBe('GW_ERR_DEADLINE_EXCEEDED');
    expect((await slow).status).toBe(200);
  });

  it('restarts a worker killed with SIGKILL and counts the restart', async () => {
    const before = (await post(gw.http, '/predict', { x: 1 })).body as { pid: number };
    process.kill(before.pid, 'SIGKILL');
    await vi.waitFor(
      async () => {
        const response = await post(gw.http, '/predict', { x: 1 });
        expect(response.status).toBe(200);
        expect((response.body as { pid: number }).pid).not.toBe(before.pid);
      },
      { timeout: 20_000, interval: 50 },
    );
    expect((await get(gw.http, '/metrics')).text).toMatch(/^gateway_worker_restarts_total\{model="toy"\} 1$/m);
  });

  it('refuses a row that kills its worker every time with 500 GW_ERR_POISON_ROW after three tries, then serves', async () => {
    const response = await post(gw.http, '/predict', { x: 1, mode: 'exit' });
    expect(response.status).toBe(500);
    expect(errorOf(response.body)).toMatchObject({ code: 'GW_ERR_POISON_ROW', attempts: 3, lastCode: 'GW_ERR_WORKER_EXITED' });
    await vi.waitFor(async () => expect((await post(gw.http, '/predict', { x: 3 })).status).toBe(200), { timeout: 20_000, interval: 50 });
  });
});

describe('--worker-nice', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ model: TOY_MODEL_DIR, workers: 1, workerNice: 7 });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('runs workers, and their replacements, at that much lower CPU priority than the gateway', async () => {
    const expected = Math.min(19, os.getPriority() + 7);
    const first = ((await post(gw.http, '/predict', { x: 1 })).body as { pid: number }).pid;
    expect(os.getPriority(first)).toBe(expected);
    process.kill(first, 'SIGKILL');
    await vi.waitFor(
      async () => {
        const pid = ((await post(gw.http, '/predict', { x: 1 })).body as { pid: number }).pid;
        expect(pid).not.toBe(first);
        expect(os.getPriority(pid)).toBe(expected);
      },
      { timeout: 20_000, interval: 50 },
    );
  });
});

describe('a model that fails to load', () => {
  it('refuses to start with WorkerStartError carrying the Python exception', async () => {
    const config = await loadConfig({ model: BROKEN_MODEL_DIR, workerPython: CENSUS_PYTHON, prepare: false, workers: 1, logLevel: 'silent' });
    const error = await startGateway(config, createLogger('silent', false)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerStartError);
    expect((error as Error).message).toMatch(/FileNotFoundError: artifacts\/model.joblib is missing/);
  });

  it('refuses to start when load() hangs past the start timeout, naming the timeout', async () => {
    const config = await loadConfig({ model: STUCK_MODEL_DIR, workerPython: CENSUS_PYTHON, prepare: false, workers: 1, workerStartTimeoutMs: 1000, logLevel: 'silent' });
    const error = await startGateway(config, createLogger('silent', false)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerStartError);
    expect((error as Error).message).toMatch(/did not report ready within 1000 ms/);
  });
});

describe('a worker that speaks another protocol version', () => {
  it('is refused at start, naming both versions, instead of having its frames misread', async () => {
    const { PythonWorker } = await import('../../src/backends/python/python-worker.js');
    const worker = new PythonWorker({
      slot: 0,
      python: CENSUS_PYTHON,
      modelDir: TOY_MODEL_DIR,
      pythonPath: path.join(ROOT, 'test', 'fixtures', 'other-protocol'),
      startTimeoutMs: 30_000,
      version: '0.1.0',
      logger: pino({ level: 'silent' }),
    });
    const failure = await worker.started.then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkerStartError);
    expect((failure as WorkerStartError).message).toMatch(/speaks protocol 99, this gateway 1/);
    await worker.exited;
  });
});
