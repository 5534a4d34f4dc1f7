import os from 'node:os';
import path from 'node:path';
import { freePort } from '../gateway-process.js';
import { ensureVenv } from '../python-venv.js';
import { startServer } from '../server-process.js';
import { CENSUS_REQUIREMENTS, PEERS_DIR, PEERS_STATE_DIR } from './paths.js';
import { singleThreadedEnv, type RunningSystem } from './system.js';

const SOURCE = path.join(PEERS_DIR, 'naive');

/** Creates bench/.peers/naive/.venv (FastAPI, uvicorn and the model's pins); a no-op once done. */
export function setupNaive(): Promise<string> {
  return ensureVenv({ name: 'naive', dir: path.join(PEERS_STATE_DIR, 'naive', '.venv'), requirements: [path.join(SOURCE, 'requirements.txt'), CENSUS_REQUIREMENTS] });
}

/** The talk's "web service doing ML" (bench/peers/naive/app.py): uvicorn workers = cores, one predict_proba per request. */
export async function startNaive(): Promise<RunningSystem> {
  const python = await setupNaive();
  const port = await freePort();
  const workers = os.cpus().length;
  const url = `http://127.0.0.1:${port}`;
  const server = await startServer({
    name: 'naive',
    command: python,
    args: [path.join(SOURCE, 'app.py'), '--port', String(port), '--workers', String(workers)],
    cwd: SOURCE,
    env: singleThreadedEnv(),
    readyUrl: `${url}/health`,
  });
  return {
    name: 'naive',
    url,
    path: '/predict',
    pid: server.pid,
    body: (rows) => {
      if (rows.length !== 1) throw new Error('naive: takes one row per request');
      return Buffer.from(JSON.stringify(rows[0]));
    },
    settings: { uvicornWorkers: workers },
    logTail: server.logTail,
    stop: () => server.stop(),
  };
}
