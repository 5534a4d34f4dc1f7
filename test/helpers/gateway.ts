import path from 'node:path';
import type { Logger } from 'pino';
import { Pool } from 'undici';
import { loadConfig } from '../../src/config/config.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';
import type { WorkerPool } from '../../src/backends/python/worker-pool.js';
import type { ServedModel } from '../../src/registry/served-model.js';
import { CENSUS_MODEL_DIR, CENSUS_PYTHON, ROOT } from './paths.js';

export { CENSUS_PYTHON };

export const TOY_MODEL_DIR = path.join(ROOT, 'test', 'fixtures', 'models', 'toy');
export const BROKEN_MODEL_DIR = path.join(ROOT, 'test', 'fixtures', 'models', 'broken');
export const STUCK_MODEL_DIR = path.join(ROOT, 'test', 'fixtures', 'models', 'stuck');

export interface TestGateway {
  readonly gateway: Gateway;
  readonly url: string;
  readonly http: Pool;
  /** A served model (default: the default model); throws when it is not loaded. */
  model(name?: string): ServedModel;
  /** Process ids of a Python model's workers. */
  pids(name?: string): number[];
  close(): Promise<void>;
}

/** A real gateway with real Python workers, listening on a free loopback port. */
export async function startTestGateway(options: Record<string, unknown> = {}, logger?: Logger): Promise<TestGateway> {
  const defaults = 'modelRepository' in options ? {} : { model: CENSUS_MODEL_DIR };
  const config = await loadConfig({ ...defaults, workerPython: CENSUS_PYTHON, prepare: false, host: '127.0.0.1', port: 0, logLevel: process.env.TEST_LOG_LEVEL ?? 'fatal', ...options });
  const gateway = await startGateway(config, logger ?? createLogger(config.logLevel, false));
  const url = gateway.url!;
  const http = new Pool(url, { connections: 64, pipelining: 1 });
  const model = (name?: string): ServedModel => gateway.registry.resolve(name);
  return {
    gateway,
    url,
    http,
    model,
    pids: (name) => (model(name).pool as WorkerPool).pids,
    async close() {
      await http.close();
      await gateway.close();
    },
  };
}

export interface JsonResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
}

/** POSTs a body (object → JSON) and parses the JSON answer. */
export async function post(http: Pool, pathname: string, body: unknown, headers: Record<string, string> = {}): Promise<JsonResponse> {
  const response = await http.request({
    method: 'POST',
    path: pathname,
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/** The `error` object of a gateway error body. */
export interface ErrorBody {
  readonly code: string;
  readonly message: string;
  readonly requestId: string;
  readonly workerCode?: string;
  readonly issues?: readonly { field: string; reason: string }[];
}

export function errorOf(body: unknown): ErrorBody {
  return (body as { error: ErrorBody }).error;
}

export async function get(http: Pool, pathname: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  const response = await http.request({ method: 'GET', path: pathname });
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
}
