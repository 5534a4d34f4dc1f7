import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { PACKAGE_ROOT as ROOT } from '../../src/config/config.js';
import { describeExit, startServer } from './server-process.js';

export interface GatewayProcessOptions {
  readonly workers?: number | undefined;
  readonly maxBatchRows?: number | undefined;
  /** `--latency-slo-ms`; ignored (with a note) by a gateway that has no such flag yet. */
  readonly latencySloMs?: number | undefined;
  /** More flags, passed as they are. */
  readonly extraArgs?: readonly string[];
  /** How long the workers may take to load the model. */
  readonly readyTimeoutMs?: number;
  /** The model directory to serve (default: census-income). */
  readonly modelDir?: string;
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

// BENCH_GATEWAY_MAIN runs another build of the gateway (e.g. an older checkout's dist/main.js) for a before/after.
const MAIN = process.env.BENCH_GATEWAY_MAIN ?? path.join(ROOT, 'dist', 'main.js');
/** The benchmarks measure the census-income model alone, as before the gateway served a repository (gateway-onnx: its ONNX export). */
const CENSUS_DIR = path.join(ROOT, 'models', 'census-income');
const modelArgs = (dir = CENSUS_DIR): string[] => ['--model', dir];

/** A port nothing listens on right now (the OS picks it; the short race until the server binds is accepted). */
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

let helpText: string | undefined;

/** Whether the compiled gateway knows `--flag` (flags are being added while the bench is written). */
export function gatewayHasFlag(flag: string): boolean {
  helpText ??= spawnSync(process.execPath, [MAIN, '--help'], { cwd: ROOT, encoding: 'utf8' }).stdout ?? '';
  return helpText.includes(`--${flag} `);
}

const prepared = new Set<string>();

/** Creates the model's virtualenv and artifact on first use (progress on stderr); later a no-op. */
export function prepareGatewayModel(dir = CENSUS_DIR): void {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm run bench does)`);
  if (prepared.has(dir)) return;
  const result = spawnSync(process.execPath, [MAIN, '--prepare-only', ...modelArgs(dir)], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  if (result.status !== 0) throw new Error(`preparing the model failed (${describeExit(result.status, result.signal)})`);
  prepared.add(dir);
}

/** Starts the gateway on a free port and resolves once `GET /health/ready` answers 200. */
export async function startGateway(options: GatewayProcessOptions = {}): Promise<GatewayProcess> {
  prepareGatewayModel(options.modelDir);
  const port = await freePort();
  const args = [MAIN, '--no-prepare', ...modelArgs(options.modelDir), '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warn'];
  if (options.workers !== undefined) args.push('--workers', String(options.workers));
  if (options.maxBatchRows !== undefined) args.push('--max-batch-rows', String(options.maxBatchRows));
  if (options.latencySloMs !== undefined) {
    if (gatewayHasFlag('latency-slo-ms')) args.push('--latency-slo-ms', String(options.latencySloMs));
    else process.stderr.write('bench: this gateway has no --latency-slo-ms yet; running without it\n');
  }
  args.push(...(options.extraArgs ?? []));

  const url = `http://127.0.0.1:${port}`;
  // echo: the gateway logs at warn, so whatever it says is worth seeing as it happens.
  const server = await startServer({
    name: 'gateway',
    command: process.execPath,
    args,
    cwd: ROOT,
    readyUrl: `${url}/health/ready`,
    readyTimeoutMs: options.readyTimeoutMs ?? 60_000,
    echo: true,
  });
  return { url, pid: server.pid, logLines: server.logLines, stop: (graceMs) => server.stop(graceMs) };
}
