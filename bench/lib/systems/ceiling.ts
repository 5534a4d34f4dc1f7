import path from 'node:path';
import { PACKAGE_ROOT as ROOT } from '../../../src/config/config.js';
import { freePort } from '../gateway-process.js';
import { startServer } from '../server-process.js';
import { PEERS_DIR } from './paths.js';
import type { RunningSystem } from './system.js';

/** bench/peers/ceiling/server.ts: a Fastify route answering a constant, the HTTP limit of this machine. */
export async function startCeiling(): Promise<RunningSystem> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await startServer({
    name: 'ceiling',
    command: process.execPath,
    args: ['--import', 'tsx', path.join(PEERS_DIR, 'ceiling', 'server.ts'), '--port', String(port)],
    cwd: ROOT,
    readyUrl: `${url}/health`,
    readyTimeoutMs: 30_000,
  });
  return {
    name: 'ceiling',
    url,
    path: '/predict',
    pid: server.pid,
    body: (rows) => Buffer.from(JSON.stringify(rows.length === 1 ? rows[0] : { instances: rows })),
    settings: { processes: 1 },
    logTail: server.logTail,
    stop: () => server.stop(),
  };
}
