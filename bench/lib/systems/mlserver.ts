import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../gateway-process.js';
import { ensureVenv, venvPythonOf } from '../python-venv.js';
import { startServer } from '../server-process.js';
import { CENSUS_ARTIFACT, CENSUS_REQUIREMENTS, PEERS_DIR, PEERS_STATE_DIR } from './paths.js';
import { singleThreadedEnv, type RunningSystem } from './system.js';
import { v2Request } from './v2-request.js';

const SOURCE = path.join(PEERS_DIR, 'mlserver');
const STATE = path.join(PEERS_STATE_DIR, 'mlserver');
const MODEL = 'census-income';

/** MLServer's knobs that matter for throughput; defaults are the committed bench/peers/mlserver files. */
export interface MlserverTuning {
  readonly parallelWorkers: number;
  readonly maxBatchSize: number;
  /** Seconds, as MLServer takes it. */
  readonly maxBatchTime: number;
}

type Json = Record<string, unknown>;
const readJson = (file: string): Json => JSON.parse(readFileSync(file, 'utf8')) as Json;

/** The committed settings: what `mlserver start bench/peers/mlserver` would run. */
export function defaultMlserverTuning(): MlserverTuning {
  const settings = readJson(path.join(SOURCE, 'settings.json'));
  const model = readJson(path.join(SOURCE, MODEL, 'model-settings.json'));
  return { parallelWorkers: Number(settings.parallel_workers), maxBatchSize: Number(model.max_batch_size), maxBatchTime: Number(model.max_batch_time) };
}

/** Creates bench/.peers/mlserver/.venv (mlserver, mlserver-sklearn and the model's pins); a no-op once done. */
export function setupMlserver(): Promise<string> {
  return ensureVenv({ name: 'mlserver', dir: path.join(STATE, '.venv'), requirements: [path.join(SOURCE, 'requirements.txt'), CENSUS_REQUIREMENTS] });
}

/**
 * MLServer with the stock `mlserver_sklearn.SKLearnModel` runtime on the
 * census artifact, adaptive batching and parallel workers on. The committed
 * settings are copied to bench/.peers/mlserver/run/ with this run's ports
 * and tuning, since MLServer reads them only from files.
 */
export async function startMlserver(tuning: MlserverTuning = defaultMlserverTuning()): Promise<RunningSystem> {
  await setupMlserver();
  const [httpPort, grpcPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const run = path.join(STATE, 'run');
  mkdirSync(path.join(run, MODEL), { recursive: true });
  const settings = { ...readJson(path.join(SOURCE, 'settings.json')), host: '127.0.0.1', http_port: httpPort, grpc_port: grpcPort, metrics_port: metricsPort, parallel_workers: tuning.parallelWorkers };
  const committed = readJson(path.join(SOURCE, MODEL, 'model-settings.json'));
  const model: Json = {
    ...committed,
    max_batch_size: tuning.maxBatchSize,
    max_batch_time: tuning.maxBatchTime,
    parameters: { ...(committed.parameters as Json), uri: CENSUS_ARTIFACT },
  };
  writeFileSync(path.join(run, 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
  writeFileSync(path.join(run, MODEL, 'model-settings.json'), `${JSON.stringify(model, null, 2)}\n`);

  const url = `http://127.0.0.1:${httpPort}`;
  const server = await startServer({
    name: 'mlserver',
    command: path.join(path.dirname(venvPythonOf(path.join(STATE, '.venv'))), 'mlserver'),
    args: ['start', run],
    cwd: run,
    env: singleThreadedEnv(),
    readyUrl: `${url}/v2/models/${MODEL}/ready`,
  });
  return {
    name: 'mlserver',
    url,
    path: `/v2/models/${MODEL}/infer`,
    pid: server.pid,
    body: (rows) => Buffer.from(JSON.stringify(v2Request(rows))),
    settings: { ...tuning },
    logTail: server.logTail,
    stop: () => server.stop(),
  };
}
