import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { post, startTestGateway, TOY_MODEL_DIR, type TestGateway } from '../helpers/gateway.js';

describe('log lines (toy model, real worker, debug level)', () => {
  let gw: TestGateway;
  const lines: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter((line) => line !== ''));
        done();
      },
    });
    gw = await startTestGateway({ model: TOY_MODEL_DIR, workers: 1, logLevel: 'debug' }, createLogger('debug', false, sink));
    expect((await post(gw.http, '/predict', { x: 1, mode: 'boom' })).status).toBe(500);
    await gw.close();
  });

  afterAll(async () => {
    await gw?.close().catch(() => undefined);
  });

  it('no line repeats a key (pid, model, version, worker, component)', () => {
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      for (const key of ['pid', 'model', 'version', 'worker', 'component']) {
        expect(line.split(`"${key}":`).length - 1, `${key} in ${line}`).toBeLessThanOrEqual(1);
      }
    }
    const ready = lines.filter((line) => line.includes('"msg":"worker ready"'));
    expect(ready.length).toBeGreaterThan(0);
    for (const line of ready) expect(JSON.parse(line)).toHaveProperty('workerPid');
  });

  it("a Python traceback is one entry, from the worker's introducing line to the exception", () => {
    const entries = lines.map((line) => JSON.parse(line) as { msg: string; stream?: string }).filter((entry) => entry.stream === 'stderr');
    const tracebacks = entries.filter((entry) => entry.msg.includes('Traceback (most recent call last):'));
    expect(tracebacks).toHaveLength(1);
    expect(tracebacks[0]!.msg).toMatch(/^gateway_worker\[\d+\]: batch \d+: predict\(\) raised:\nTraceback/);
    expect(tracebacks[0]!.msg.endsWith('ValueError: row asked to explode')).toBe(true);
    expect(entries.filter((entry) => entry.msg.trimStart().startsWith('File "'))).toEqual([]);
  });
});
