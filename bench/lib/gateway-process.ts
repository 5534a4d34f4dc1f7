import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PACKAGE_ROOT as ROOT } from '../../src/config/config.js';

export interface GatewayProcessOptions {
  readonly workers?: number | undefined;
  readonly maxBatchRows?: number | undefined;
  /** How long the workers may take to load the model. */
  readonly readyTimeoutMs?: number;
}

/** A compiled gateway (`dist/main.js`) running as a child process. */
export interface GatewayProcess {
  readonly url: string;
  readonly pid: number;
  /** Lines the gateway wrote (it runs at --log-level warn, so every line is worth a look). */
  readonly logLines: readonly string[];
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`; resolves with how it ended. */
  stop(graceMs?: number): Promise<string>;
}

/** A port nothing listens on right now (the OS picks it; the short race until the gateway binds is accepted). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<string> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(describeExit(child.exitCode, child.signalCode));
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(describeExit(code, signal))));
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal === null ? `exit ${code}` : `signal ${signal}`;
}

/** Starts the gateway on a free port and resolves once `GET /health/ready` answers 200. */
export async function startGateway(options: GatewayProcessOptions = {}): Promise<GatewayProcess> {
  const main = path.join(ROOT, 'dist', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first (npm run bench does)`);
  // First use prepares the model's virtualenv and artifact, with progress on stderr; later a no-op.
  const prepared = spawnSync(process.execPath, [main, '--prepare-only'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  if (prepared.status !== 0) throw new Error(`preparing the model failed (${describeExit(prepared.status, prepared.signal)})`);
  const port = await freePort();
  const args = [main, '--no-prepare', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warn'];
  if (options.workers !== undefined) args.push('--workers', String(options.workers));
  if (options.maxBatchRows !== undefined) args.push('--max-batch-rows', String(options.maxBatchRows));

  // stdout stays ours for the JSON result, so the gateway's output goes to stderr.
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const logLines: string[] = [];
  const collect = (chunk: Buffer): void => {
    process.stderr.write(chunk);
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logLines.push(line);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  // A crashed benchmark must not leave a gateway (and its Python workers) behind.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const url = `http://127.0.0.1:${port}`;
  const ending = exited(child);
  const stop = async (graceMs = 10_000): Promise<string> => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const how = await ending;
      clearTimeout(timer);
      return how;
    }
    return ending;
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  let early: string | undefined;
  void ending.then((how) => {
    early = how;
  });
  while (Date.now() < deadline) {
    if (early !== undefined) throw new Error(`gateway exited before it was ready (${early}):\n${logLines.slice(-20).join('\n')}`);
    try {
      const response = await fetch(`${url}/health/ready`);
      await response.arrayBuffer();
      if (response.status === 200) return { url, pid: child.pid ?? -1, logLines, stop };
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
  await stop();
  throw new Error(`gateway was not ready within ${options.readyTimeoutMs ?? 60_000} ms`);
}
