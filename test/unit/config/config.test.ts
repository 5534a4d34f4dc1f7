import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_BATCH_ROWS, DEFAULT_WORKERS, loadConfig, readOptions } from '../../../src/config/config.js';
import { ConfigError, ManifestError } from '../../../src/errors.js';
import { CENSUS_MODEL_DIR } from '../../helpers/paths.js';

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
    expect(config.workers).toBe(DEFAULT_WORKERS);
    expect(config.maxBatchRows).toBe(DEFAULT_MAX_BATCH_ROWS);
    expect(config.model.dir).toBe(CENSUS_MODEL_DIR);
    expect(config.model.manifest.name).toBe('census-income');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads flags over environment over defaults', async () => {
    const config = await configFrom(['--workers', '3', '--max-batch-rows', '64'], { GATEWAY_WORKERS: '5', PORT: '9000', HOST: '0.0.0.0' });
    expect(config.workers).toBe(3);
    expect(config.maxBatchRows).toBe(64);
    expect(config.port).toBe(9000);
    expect(config.host).toBe('0.0.0.0');
  });

  it('takes batching settings from the manifest unless a flag or the environment says otherwise', async () => {
    const fromManifest = await configFrom([]);
    expect(fromManifest).toMatchObject({ latencySloMs: 100, maxBatchWaitMs: 20, shutdownGraceMs: 30_000, batchTimeoutFloorMs: 10_000, watchModel: false });
    expect(fromManifest.adminToken).toBeUndefined();
    const overridden = await configFrom(['--latency-slo-ms', '250', '--watch-model'], { GATEWAY_MAX_BATCH_WAIT_MS: '0' });
    expect(overridden).toMatchObject({ latencySloMs: 250, maxBatchWaitMs: 0, watchModel: true });
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
    const error = await configError([], { PORT: '70000', GATEWAY_WORKERS: '0' });
    expect(error.issues.map((i) => i.field).sort()).toEqual(['port (--port / PORT)', 'workers (--workers / GATEWAY_WORKERS)']);
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
});
