import { createServer, type Server } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, GatewayError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { BROKEN_MODEL_DIR, post, startTestGateway, TOY_MODEL_DIR } from '../helpers/gateway.js';
import { TestRepository } from '../helpers/repository.js';

function capture(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter((line) => line !== ''));
      done();
    },
  });
  return { lines, logger: createLogger('debug', false, sink) };
}

describe('a start that cannot succeed says so at once, in one clear error', () => {
  let taken: Server;
  let port: number;

  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as { port: number }).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => taken.close(resolve));
  });

  it('a port in use → GW_ERR_CONFIG naming it, before any worker is started', async () => {
    const { lines, logger } = capture();
    const error = await startTestGateway({ model: TOY_MODEL_DIR, workers: 1, port }, logger).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([{ field: '--port (PORT)', reason: `127.0.0.1:${port} is already in use (another gateway still running?): stop it or choose another port` }]);
    expect(lines.filter((line) => line.includes('"msg":"worker ready"'))).toEqual([]);
  });

  it('a model that fails to load fails the start without "worker exited; restarting"', async () => {
    const { lines, logger } = capture();
    const error = await startTestGateway({ model: BROKEN_MODEL_DIR, workers: 2 }, logger).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(lines.filter((line) => line.includes('restarting'))).toEqual([]);
  });
});

describe('--no-exit-on-error: a repository with a model that cannot load (real workers)', () => {
  it('stops the start by default, and with the flag serves the others, the failed one UNAVAILABLE with why', async () => {
    const repository = new TestRepository({ broken: { from: BROKEN_MODEL_DIR }, toy: { from: TOY_MODEL_DIR } });
    try {
      const { logger } = capture();
      await expect(startTestGateway({ modelRepository: repository.root, workers: 1 }, logger)).rejects.toBeInstanceOf(GatewayError);

      const { lines, logger: kept } = capture();
      const gateway = await startTestGateway({ modelRepository: repository.root, workers: 1, exitOnError: false }, kept);
      try {
        const answer = await post(gateway.http, '/models/toy/predict', { x: 2 });
        expect(answer.status).toBe(200);
        expect((answer.body as { y: number }).y).toBe(4);
        const index = await gateway.gateway.registry.index();
        expect(index.map((entry) => [entry.name, entry.state])).toEqual([['broken', 'UNAVAILABLE'], ['toy', 'READY']]);
        expect(index[0]!.reason).toMatch(/worker 0/);
        expect(lines.some((line) => line.includes('"level":50') && line.includes('broken could not be loaded and is not served'))).toBe(true);
        // broken sorts first, so it is the default model: /predict says it is not loaded.
        const fallback = await post(gateway.http, '/predict', { x: 2 });
        expect(fallback.status).toBe(404);
        expect(JSON.stringify(fallback.body)).toContain('is the default model and is not loaded');
      } finally {
        await gateway.close();
      }
    } finally {
      repository.remove();
    }
  });
});
