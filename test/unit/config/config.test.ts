import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_BATCH_ROWS, DEFAULT_MODEL_REPOSITORY, DEFAULT_WORKERS, loadConfig, readOptions } from '../../../src/config/config.js';
import { ConfigError, ManifestError } from '../../../src/errors.js';
import { CENSUS_MODEL_DIR, ROOT } from '../../helpers/paths.js';
import path from 'node:path';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

const configFrom = async (argv: string[], env: NodeJS.ProcessEnv = {}) => loadConfig(readOptions(argv, env).values);

async function configError(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<ConfigError> {
  const error = await configFrom(argv, env).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('config', () => {
  it('fills every default and freezes the result', async () => {
    const config = await configFrom([]);
    expect(config.port).toBe(8080);
    expect(config.host).toBe('127.0.0.1');
    // npm start serves the repository models/, the default model first in sorted order.
    expect(config.repository.root).toBe(DEFAULT_MODEL_REPOSITORY);
    expect(config.models.map((m) => m.spec.manifest.name)).toEqual(['census-income', 'census-income-onnx', 'digits']);
    expect(config.defaultModel).toBe('census-income');
    const census = config.models[0]!;
    expect(census.workers).toBe(DEFAULT_WORKERS);
    expect(census.maxBatchRows).toBe(DEFAULT_MAX_BATCH_ROWS);
    expect(census.spec.dir).toBe(CENSUS_MODEL_DIR);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(census)).toBe(true);
  });

  it('reads flags over environment over defaults', async () => {
    const config = await configFrom(['--workers', '3', '--max-batch-rows', '64'], { GATEWAY_WORKERS: '5', PORT: '9000', HOST: '0.0.0.0' });
    for (const model of config.models) expect(model).toMatchObject({ workers: 3, maxBatchRows: 64 });
    expect(config.port).toBe(9000);
    expect(config.host).toBe('0.0.0.0');
  });

  it('takes batching settings from the manifest unless a flag or the environment says otherwise', async () => {
    const fromManifest = await configFrom(['--model', CENSUS_MODEL_DIR]);
    expect(fromManifest.models[0]).toMatchObject({ latencySloMs: 100, latencySloMaxCost: 0.1, maxBatchWaitMs: 20 });
    expect(fromManifest).toMatchObject({ shutdownGraceMs: 30_000, batchTimeoutFloorMs: 10_000, watchModel: false });
    expect(fromManifest.adminToken).toBeUndefined();
    const overridden = await configFrom(['--model', CENSUS_MODEL_DIR, '--latency-slo-ms', '250', '--latency-slo-max-cost', '0.5', '--watch-model'], { GATEWAY_MAX_BATCH_WAIT_MS: '0' });
    expect(overridden.models[0]).toMatchObject({ latencySloMs: 250, latencySloMaxCost: 0.5, maxBatchWaitMs: 0 });
    expect(overridden.watchModel).toBe(true);
  });

  it('refuses an admin token too short to be a secret, without echoing it', async () => {
    const error = await configError([], { GATEWAY_ADMIN_TOKEN: 'short-secret' });
    expect(error.message).toMatch(/adminToken \(--admin-token \/ GATEWAY_ADMIN_TOKEN\).*at least 16 characters/);
    expect(error.message).not.toContain('short-secret');
  });

  it('names the flag and the reason for a non-numeric worker count', async () => {
    const error = await configError(['--workers', 'abc']);
    expect(error.code).toBe('GW_ERR_CONFIG');
    expect(error.issues).toEqual([{ field: 'workers (--workers / GATEWAY_WORKERS)', reason: 'must be a number' }]);
  });

  it('rejects out-of-range values from the environment', async () => {
    const error = await configError([], { PORT: '70000', GATEWAY_WORKERS: '0', GATEWAY_LATENCY_SLO_MAX_COST: '1.5' });
    expect(error.issues.map((i) => i.field).sort()).toEqual(['latencySloMaxCost (--latency-slo-max-cost / GATEWAY_LATENCY_SLO_MAX_COST)', 'port (--port / PORT)', 'workers (--workers / GATEWAY_WORKERS)']);
    expect(error.issues.find((i) => i.field.startsWith('latencySloMaxCost'))!.reason).toMatch(/<= ?1|at most 1|too big/i);
  });

  it('rejects a request limit the queue could never admit', async () => {
    const error = await configError(['--max-request-rows', '100', '--max-queue-rows', '10']);
    expect(error.issues[0]!.field).toMatch(/^maxRequestRows/);
  });

  it('rejects unknown flags', async () => {
    const error = await configError(['--wrokers', '2']);
    expect(error.issues[0]!.field).toBe('arguments');
  });

  it('reports a directory without a manifest as ManifestError', async () => {
    await expect(configFrom(['--model', '/nonexistent/model'])).rejects.toBeInstanceOf(ManifestError);
  });

  it('serves one directory with --model, the repository with --model-repository, and refuses both at once', async () => {
    const one = await configFrom(['--model', CENSUS_MODEL_DIR]);
    expect(one.models.map((m) => m.spec.manifest.name)).toEqual(['census-income']);
    expect(one.defaultModel).toBe('census-income');
    const all = await configFrom([], { GATEWAY_MODEL_REPOSITORY: path.join(ROOT, 'models') });
    expect(all.models).toHaveLength(3);
    const error = await configError(['--model', CENSUS_MODEL_DIR, '--model-repository', 'models']);
    expect(error.issues[0]!.field).toMatch(/^modelRepository/);
  });

  it('takes the default model from --default-model, and refuses one that is not served', async () => {
    expect((await configFrom(['--default-model', 'digits'])).defaultModel).toBe('digits');
    const error = await configError(['--default-model', 'nope']);
    expect(error.issues[0]!.field).toMatch(/^defaultModel \(--default-model/);
  });

  it('settles each model from its own manifest', async () => {
    const repo = mkdtempSync(path.join(os.tmpdir(), 'gw-repo-'));
    for (const [name, batching, workers] of [['a', { maxBatchRows: 8, maxQueueRows: 100 }, 1], ['b', {}, 3]] as const) {
      cpSync(path.join(ROOT, 'test', 'fixtures', 'models', 'toy'), path.join(repo, name), { recursive: true });
      const file = path.join(repo, name, 'model.json');
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), name, batching, workers }));
    }
    const config = await configFrom(['--model-repository', repo, '--max-request-rows', '50']);
    expect(config.models.map(({ spec, workers, maxBatchRows, maxQueueRows }) => ({ name: spec.manifest.name, workers, maxBatchRows, maxQueueRows }))).toEqual([
      { name: 'a', workers: 1, maxBatchRows: 8, maxQueueRows: 100 },
      { name: 'b', workers: 3, maxBatchRows: DEFAULT_MAX_BATCH_ROWS, maxQueueRows: 65_536 },
    ]);
    // A model whose own queue could never admit the largest request is refused by name.
    const error = await configError(['--model-repository', repo, '--max-request-rows', '200']);
    expect(error.issues[0]).toMatchObject({ field: 'a: maxQueueRows' });
  });

  it('refuses a repository directory whose manifest names another model', async () => {
    const repo = mkdtempSync(path.join(os.tmpdir(), 'gw-repo-'));
    cpSync(path.join(ROOT, 'test', 'fixtures', 'models', 'toy'), path.join(repo, 'other'), { recursive: true });
    await expect(configFrom(['--model-repository', repo])).rejects.toThrow(/names the model "toy", but its directory is "other"/);
  });

  it('stops at a bad manifest in the repository, unless --no-exit-on-error, which sets it aside and keeps the others', async () => {
    const repo = mkdtempSync(path.join(os.tmpdir(), 'gw-repo-'));
    cpSync(path.join(ROOT, 'test', 'fixtures', 'models', 'toy'), path.join(repo, 'toy'), { recursive: true });
    cpSync(path.join(ROOT, 'test', 'fixtures', 'models', 'toy'), path.join(repo, 'other'), { recursive: true });
    await expect(configFrom(['--model-repository', repo])).rejects.toBeInstanceOf(ManifestError);
    const config = await configFrom(['--model-repository', repo, '--no-exit-on-error']);
    expect(config.models.map((m) => m.spec.manifest.name)).toEqual(['toy']);
    expect(config.failedModels.map((f) => [f.name, f.error.message])).toEqual([['other', expect.stringMatching(/names the model "toy"/)]]);
    // The environment variable says the same; with no model left, the first failure stops it anyway.
    expect((await configFrom(['--model-repository', repo], { GATEWAY_EXIT_ON_ERROR: 'false' })).failedModels).toHaveLength(1);
    const bad = mkdtempSync(path.join(os.tmpdir(), 'gw-repo-'));
    cpSync(path.join(ROOT, 'test', 'fixtures', 'models', 'toy'), path.join(bad, 'other'), { recursive: true });
    await expect(configFrom(['--model-repository', bad, '--no-exit-on-error'])).rejects.toBeInstanceOf(ManifestError);
  });
});
