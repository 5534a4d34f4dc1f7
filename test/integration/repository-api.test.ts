import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ReloadInProgressError } from '../../src/errors.js';
import { BROKEN_MODEL_DIR, errorOf, get, post, startTestGateway, TOY_MODEL_DIR, type JsonResponse, type TestGateway } from '../helpers/gateway.js';
import { TestRepository } from '../helpers/repository.js';

const TOKEN = 'test-admin-token-5e1b9c0d';
const auth = { authorization: `Bearer ${TOKEN}` };

/** The paths /openapi.json documents now. */
async function documentedPaths(gw: TestGateway): Promise<string[]> {
  const doc = JSON.parse((await get(gw.http, '/openapi.json')).text) as { paths: Record<string, unknown> };
  return Object.keys(doc.paths);
}

async function repositoryCall(gw: TestGateway, pathname: string, headers: Record<string, string> = auth): Promise<JsonResponse> {
  // As tritonclient sends them: POST, no content type, no body.
  const response = await gw.http.request({ method: 'POST', path: pathname, headers });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/** Clients calling a model in a loop until stopped; every answer is kept. */
class Load {
  readonly answers: { model: string; status: number; code?: string }[] = [];
  #stop = false;
  #clients: Promise<void>[];

  constructor(gw: TestGateway, models: readonly string[], perModel = 4) {
    this.#clients = models.flatMap((model) =>
      Array.from({ length: perModel }, async (_, c) => {
        for (let i = 0; !this.#stop; i++) {
          const response = await post(gw.http, `/models/${model}/predict`, { x: c * 10_000 + i });
          this.answers.push({ model, status: response.status, ...(response.status === 200 ? {} : { code: errorOf(response.body).code }) });
        }
      }),
    );
  }

  async waitFor(more: number): Promise<void> {
    const target = this.answers.length + more;
    await vi.waitFor(() => expect(this.answers.length).toBeGreaterThanOrEqual(target), { timeout: 20_000, interval: 5 });
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await Promise.all(this.#clients);
  }
}

describe('model repository API (POST /v2/repository/...), behind the admin token', () => {
  const repository = new TestRepository({ alpha: { from: TOY_MODEL_DIR }, beta: { from: TOY_MODEL_DIR } });
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({ modelRepository: repository.root, workers: 2, adminToken: TOKEN });
  });
  afterAll(async () => {
    await gw?.close();
    repository.remove();
  });

  it('refuses a call without the token with 401 and the protocol error body', async () => {
    const response = await repositoryCall(gw, '/v2/repository/index', {});
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: expect.stringMatching(/admin token/) });
  });

  it('lists every model of the repository with its state, a directory added since start-up included', async () => {
    repository.add('gamma', { from: TOY_MODEL_DIR });
    const index = await repositoryCall(gw, '/v2/repository/index');
    expect(index.status).toBe(200);
    expect(index.body).toEqual([
      { name: 'alpha', version: '0.1.0', state: 'READY' },
      { name: 'beta', version: '0.1.0', state: 'READY' },
      { name: 'gamma', state: 'UNAVAILABLE', reason: 'not loaded' },
    ]);
  });

  it('loads a new model, reloads one blue/green and unloads another under load: no request to the others fails, the unloaded one answers what it took', async () => {
    const load = new Load(gw, ['alpha', 'beta']);
    await load.waitFor(100);

    const loaded = await repositoryCall(gw, '/v2/repository/models/gamma/load');
    expect(loaded.status).toBe(200);
    expect(loaded.body).toMatchObject({ name: 'gamma', version: '0.1.0', action: 'loaded' });
    const gammaLoad = new Load(gw, ['gamma']);

    repository.patch('alpha', { version: '0.2.0' });
    const reloaded = await repositoryCall(gw, '/v2/repository/models/alpha/load');
    expect(reloaded.status).toBe(200);
    expect(reloaded.body).toMatchObject({ name: 'alpha', action: 'reloaded', previousVersion: '0.1.0', version: '0.2.0' });
    await load.waitFor(100);

    // A slow request is at beta's worker when the unload comes: it is answered, then the workers stop.
    const slow = post(gw.http, '/models/beta/predict', { x: 7, mode: 'sleep', seconds: 1 });
    await vi.waitFor(() => expect(gw.model('beta').engine.inFlightBatches).toBeGreaterThan(0), { timeout: 10_000, interval: 2 });
    const betaPool = gw.model('beta').pool;
    const unloaded = await repositoryCall(gw, '/v2/repository/models/beta/unload');
    expect(unloaded.status).toBe(200);
    expect(unloaded.body).toEqual({ name: 'beta', state: 'UNAVAILABLE' });
    const slowAnswer = await slow;
    expect(slowAnswer.status).toBe(200);
    expect((slowAnswer.body as { y: number }).y).toBe(14);
    expect(betaPool.readyCount).toBe(0);

    await load.waitFor(100);
    await Promise.all([load.stop(), gammaLoad.stop()]);
    const failed = [...load.answers, ...gammaLoad.answers].filter((a) => a.status !== 200);
    // Only beta's, and only "not loaded" once it was unloaded (or refused while it drained).
    expect(failed.filter((a) => a.model !== 'beta')).toEqual([]);
    expect(failed.filter((a) => a.code !== 'GW_ERR_MODEL_NOT_FOUND' && a.code !== 'GW_ERR_SHUTTING_DOWN')).toEqual([]);
    expect(gammaLoad.answers.length).toBeGreaterThan(0);

    // The document follows what is served: gamma loaded since start-up, beta unloaded.
    const paths = await documentedPaths(gw);
    expect(paths).toContain('/models/gamma/predict');
    expect(paths).toContain('/models/alpha/predict');
    expect(paths).not.toContain('/models/beta/predict');

    const after = await post(gw.http, '/models/beta/predict', { x: 1 });
    expect(after.status).toBe(404);
    expect(errorOf(after.body)).toMatchObject({ code: 'GW_ERR_MODEL_NOT_FOUND', model: 'beta' });
    const index = await repositoryCall(gw, '/v2/repository/index');
    expect(index.body).toEqual([
      { name: 'alpha', version: '0.2.0', state: 'READY' },
      { name: 'beta', state: 'UNAVAILABLE', reason: 'not loaded' },
      { name: 'gamma', version: '0.1.0', state: 'READY' },
    ]);
    // {"ready": true} lists only the models that can serve.
    const ready = await gw.http.request({ method: 'POST', path: '/v2/repository/index', headers: { ...auth, 'content-type': 'application/json' }, body: '{"ready": true}' });
    expect(((await ready.body.json()) as { name: string }[]).map((m) => m.name)).toEqual(['alpha', 'gamma']);

    // And it can be loaded again.
    expect((await repositoryCall(gw, '/v2/repository/models/beta/load')).status).toBe(200);
    expect((await post(gw.http, '/models/beta/predict', { x: 2 })).body).toMatchObject({ y: 4 });

    // A model loaded at run time is tuned like the others, on its own.
    const tuned = await gw.http.request({ method: 'PATCH', path: '/admin/models/gamma/config', headers: { ...auth, 'content-type': 'application/json' }, body: '{"maxBatchRows": 8, "workers": 1}' });
    expect(tuned.statusCode).toBe(200);
    expect(await tuned.body.json()).toMatchObject({ model: 'gamma', maxBatchRows: 8, workers: 1 });
    expect(gw.model('alpha').engine.state.settings.maxBatchRows).not.toBe(8);
  });

  it('answers 404 for a model the repository does not hold, and 422 naming why for one that does not start', async () => {
    const unknown = await repositoryCall(gw, '/v2/repository/models/nope/load');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: expect.stringMatching(/"nope" is not in the model repository/) });
    expect((await repositoryCall(gw, '/v2/repository/models/nope/unload')).status).toBe(404);

    repository.add('kaput', { from: BROKEN_MODEL_DIR });
    const broken = await repositoryCall(gw, '/v2/repository/models/kaput/load');
    expect(broken.status).toBe(422);
    expect(broken.body).toEqual({ error: expect.stringMatching(/kaput could not be loaded/) });
    const index = (await repositoryCall(gw, '/v2/repository/index')).body as { name: string; state: string; reason?: string }[];
    expect(index.find((m) => m.name === 'kaput')).toMatchObject({ state: 'UNAVAILABLE', reason: expect.stringMatching(/failed to start/) });
  });

  it('refuses a second load of a model while one is in progress', async () => {
    repository.add('delta', { from: TOY_MODEL_DIR });
    const first = gw.gateway.registry.load('delta');
    await expect(gw.gateway.registry.load('delta')).rejects.toBeInstanceOf(ReloadInProgressError);
    await expect(first).resolves.toMatchObject({ action: 'loaded' });
  });
});
