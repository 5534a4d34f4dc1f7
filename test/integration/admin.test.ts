import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { errorOf, get, post, startTestGateway, TOY_MODEL_DIR, type JsonResponse, type TestGateway } from '../helpers/gateway.js';

const TOKEN = 'test-admin-token-3f9c1a7e';
const auth = { authorization: `Bearer ${TOKEN}` };

async function request(gw: TestGateway, method: string, pathname: string, headers: Record<string, string> = {}, body?: unknown): Promise<JsonResponse> {
  const response = await gw.http.request({
    method: method as 'GET',
    path: pathname,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

function setVersion(dir: string, version: string): void {
  const file = path.join(dir, 'model.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...manifest, version }, null, 2));
}

describe('admin endpoints without a token', () => {
  it('do not exist', async () => {
    const gw = await startTestGateway({ model: TOY_MODEL_DIR, workers: 1 });
    try {
      expect((await request(gw, 'GET', '/admin/config', auth)).status).toBe(404);
      expect((await request(gw, 'POST', '/admin/models/toy/reload', auth)).status).toBe(404);
    } finally {
      await gw.close();
    }
  });
});

describe('admin endpoints with a token', () => {
  let gw: TestGateway;
  let dir: string;
  const logLines: string[] = [];
  const flag = path.join(os.tmpdir(), `toy-admin-fail-load-${process.pid}`);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'toy-model-'));
    cpSync(TOY_MODEL_DIR, dir, { recursive: true });
    process.env.TOY_FAIL_LOAD_IF_EXISTS = flag;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    // The gateway's own logger (with its redaction), at debug so every request is logged.
    gw = await startTestGateway({ model: dir, workers: 2, adminToken: TOKEN, logLevel: 'debug' }, createLogger('debug', false, sink));
  });
  afterAll(async () => {
    await gw.close();
    delete process.env.TOY_FAIL_LOAD_IF_EXISTS;
    rmSync(flag, { force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('answer 401 GW_ERR_UNAUTHORIZED without the token or with a wrong one, and never log it', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong-token-wrong-token' }, { authorization: TOKEN }, { authorization: `Basic ${TOKEN}` }]) {
      const response = await request(gw, 'GET', '/admin/config', headers);
      expect(response.status).toBe(401);
      expect(errorOf(response.body).code).toBe('GW_ERR_UNAUTHORIZED');
    }
    expect((await request(gw, 'GET', '/admin/config', auth)).status).toBe(200);
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.filter((line) => line.includes(TOKEN))).toEqual([]);
  });

  it('change batching and the worker count while serving', async () => {
    expect((await request(gw, 'GET', '/admin/config', auth)).body).toMatchObject({ latencySloMaxCost: 0.1 });
    const changed = await request(gw, 'PATCH', '/admin/config', auth, { maxBatchRows: 16, latencySloMs: 250, latencySloMaxCost: 0.5, workers: 3 });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ model: 'toy', maxBatchRows: 16, latencySloMs: 250, latencySloMaxCost: 0.5, workers: 3 });
    await vi.waitFor(async () => expect(JSON.parse((await get(gw.http, '/health/ready')).text)).toMatchObject({ models: { toy: { workersReady: 3, workers: 3 } } }), { timeout: 20_000, interval: 20 });
    expect((await get(gw.http, '/metrics')).text).toMatch(/^gateway_latency_objective_seconds\{model="toy"\} 0\.25$/m);

    const shrunk = await request(gw, 'PATCH', '/admin/config', auth, { workers: 1, latencySloMs: null });
    expect(shrunk.body).toMatchObject({ workers: 1, latencySloMs: null });
    expect((await post(gw.http, '/predict', { x: 2 })).body).toMatchObject({ y: 4 });

    const invalid = await request(gw, 'PATCH', '/admin/config', auth, { maxBatchRows: 0, latencySloMaxCost: 1.5, bogus: 1 });
    expect(invalid.status).toBe(400);
    expect(errorOf(invalid.body).issues).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'maxBatchRows' }), expect.objectContaining({ field: 'latencySloMaxCost', reason: expect.stringMatching(/1/) }), expect.objectContaining({ field: 'bogus' })]),
    );
    expect((await request(gw, 'GET', '/admin/config', auth)).body).toMatchObject({ latencySloMaxCost: 0.5 });
    await request(gw, 'PATCH', '/admin/config', auth, { workers: 2 });
  });

  it('reload a new version under load with no failed request, switching the version responses carry', async () => {
    setVersion(dir, '0.2.0');
    let stop = false;
    const seen: { status: number; version: unknown }[] = [];
    const clients = Array.from({ length: 16 }, async (_, c) => {
      for (let i = 0; !stop; i++) {
        const response = await post(gw.http, '/predict', { x: c * 1000 + i });
        seen.push({ status: response.status, version: response.headers['x-model-version'] });
      }
    });
    await vi.waitFor(() => expect(seen.length).toBeGreaterThan(50), { timeout: 10_000, interval: 5 });
    const reload = await request(gw, 'POST', '/admin/models/toy/reload', auth);
    const afterReload = seen.length;
    await vi.waitFor(() => expect(seen.length).toBeGreaterThan(afterReload + 50), { timeout: 10_000, interval: 5 });
    stop = true;
    await Promise.all(clients);

    expect(reload.status).toBe(200);
    expect(reload.body).toMatchObject({ model: 'toy', previousVersion: '0.1.0', version: '0.2.0' });
    // Whole milliseconds, as documented.
    expect(Number.isInteger((reload.body as { durationMs: number }).durationMs)).toBe(true);
    expect(seen.filter((s) => s.status !== 200)).toEqual([]);
    expect(new Set(seen.map((s) => s.version))).toEqual(new Set(['0.1.0', '0.2.0']));
    expect(seen.slice(afterReload).every((s) => s.version === '0.2.0')).toBe(true);
    expect(JSON.parse((await get(gw.http, '/health/ready')).text)).toMatchObject({ models: { toy: { version: '0.2.0', workersReady: 2 } } });
    expect((await get(gw.http, '/metrics')).text).toMatch(/^gateway_predictions_total\{model="toy",version="0\.2\.0"\} [1-9]/m);
  });

  it('refuse a new version that fails to load, naming why, and keep the old one serving', async () => {
    setVersion(dir, '0.3.0');
    writeFileSync(flag, '');
    const refused = await request(gw, 'POST', '/admin/models/toy/reload', auth);
    rmSync(flag);
    expect(refused.status).toBe(422);
    expect(errorOf(refused.body)).toMatchObject({ code: 'GW_ERR_RELOAD_FAILED', message: expect.stringMatching(/0\.3\.0 failed to start.*load refused.*0\.2\.0 keeps serving/s) });
    const response = await post(gw.http, '/predict', { x: 21 });
    expect(response.status).toBe(200);
    expect(response.headers['x-model-version']).toBe('0.2.0');
    expect((await get(gw.http, '/metrics')).text).toMatch(/^gateway_model_reloads_total\{model="toy",outcome="failed"\} 1$/m);
  });

  it('refuse a reload that would change the input fields, and answer 404 for another model name', async () => {
    const file = path.join(dir, 'model.json');
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { input: { properties: Record<string, unknown> } };
    manifest.input.properties.z = { type: 'number' };
    writeFileSync(file, JSON.stringify(manifest));
    const refused = await request(gw, 'POST', '/admin/models/toy/reload', auth);
    expect(refused.status).toBe(422);
    expect(errorOf(refused.body).message).toMatch(/changes the input or output fields/);
    expect((await request(gw, 'POST', '/admin/models/other/reload', auth)).status).toBe(404);
  });
});

describe('watching the model on disk (--watch-model)', () => {
  it('reloads when model.json changes, without an admin call', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'toy-watch-'));
    cpSync(TOY_MODEL_DIR, dir, { recursive: true });
    const gw = await startTestGateway({ model: dir, workers: 1, watchModel: true });
    try {
      setVersion(dir, '0.9.0');
      await vi.waitFor(async () => expect((await post(gw.http, '/predict', { x: 1 })).headers['x-model-version']).toBe('0.9.0'), { timeout: 30_000, interval: 50 });
    } finally {
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
