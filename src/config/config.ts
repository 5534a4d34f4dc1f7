import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { KAFKA_BOOLEAN_FLAGS, KAFKA_OPTIONS, kafkaConfigShape, kafkaDerivedConfig, refineKafkaConfig, type KafkaDerivedConfig, type KafkaDerivedField } from '../kafka/kafka-config.js';
import { loadModelSpec, type ModelSpec } from '../model/manifest.js';
import { formatIssues } from './format-issues.js';

/** Repository root, found from this file whether it runs from `src/` or `dist/`. */
export const PACKAGE_ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** Folder holding the `gateway_worker` Python package and its requirements. */
export const PYTHON_DIR = path.join(PACKAGE_ROOT, 'python');

/**
 * Workers when neither a flag nor the manifest says: measured on a 2-core box
 * with `npm run bench` (see bench/RESULTS.md, "workers").
 */
export const DEFAULT_WORKERS = 2;
export const DEFAULT_MAX_BATCH_ROWS = 1024;

/** Each option: its flag, its environment variable, and what it means (for --help). */
const OPTIONS = {
  model: { flag: 'model', env: 'GATEWAY_MODEL', help: 'model directory (holds model.json)' },
  host: { flag: 'host', env: 'HOST', help: 'interface to listen on' },
  port: { flag: 'port', env: 'PORT', help: 'HTTP port' },
  workers: { flag: 'workers', env: 'GATEWAY_WORKERS', help: 'Python worker processes (default: manifest, else 2)' },
  maxBatchRows: { flag: 'max-batch-rows', env: 'GATEWAY_MAX_BATCH_ROWS', help: 'most rows sent to a worker in one batch' },
  maxRequestRows: { flag: 'max-request-rows', env: 'GATEWAY_MAX_REQUEST_ROWS', help: 'most rows in one request ("instances")' },
  maxQueueRows: { flag: 'max-queue-rows', env: 'GATEWAY_MAX_QUEUE_ROWS', help: 'rows waiting before new requests are refused with 503' },
  requestTimeoutMs: { flag: 'request-timeout-ms', env: 'GATEWAY_REQUEST_TIMEOUT_MS', help: 'default deadline of a request (header x-request-timeout overrides)' },
  bodyLimitBytes: { flag: 'body-limit-bytes', env: 'GATEWAY_BODY_LIMIT_BYTES', help: 'largest accepted request body' },
  python: { flag: 'python', env: 'GATEWAY_PYTHON', help: 'Python used to create the model virtualenv' },
  workerStartTimeoutMs: { flag: 'worker-start-timeout-ms', env: 'GATEWAY_WORKER_START_TIMEOUT_MS', help: 'a worker not ready this long after starting (model still loading) is killed and reported' },
  workerPython: { flag: 'worker-python', env: 'GATEWAY_WORKER_PYTHON', help: 'run workers with this Python (an environment you manage) instead of <model>/.venv' },
  logLevel: { flag: 'log-level', env: 'LOG_LEVEL', help: 'fatal, error, warn, info, debug or trace' },
  prepare: { flag: 'prepare', env: 'GATEWAY_PREPARE', help: 'create the virtualenv and train a missing artifact at start (--no-prepare to skip)' },
  latencySloMs: { flag: 'latency-slo-ms', env: 'GATEWAY_LATENCY_SLO_MS', help: 'latency objective: caps batch size and refuses (503) requests predicted to wait longer (default: manifest, else none)' },
  maxBatchWaitMs: { flag: 'max-batch-wait-ms', env: 'GATEWAY_MAX_BATCH_WAIT_MS', help: 'longest an idle worker may wait for a fuller batch, only when the cost model says it pays (default: manifest, else 0: never wait)' },
  batchTimeoutFloorMs: { flag: 'batch-timeout-floor-ms', env: 'GATEWAY_BATCH_TIMEOUT_FLOOR_MS', help: 'least time a batch may run before its worker is deemed hung and replaced' },
  shutdownGraceMs: { flag: 'shutdown-grace-ms', env: 'GATEWAY_SHUTDOWN_GRACE_MS', help: 'on SIGTERM/SIGINT, time to finish accepted work before exiting anyway' },
  adminToken: { flag: 'admin-token', env: 'GATEWAY_ADMIN_TOKEN', help: 'bearer token for /admin endpoints (unset: admin endpoints are off)' },
  watchModel: { flag: 'watch-model', env: 'GATEWAY_WATCH_MODEL', help: 'reload the model when its artifact or model.json changes on disk' },
  ...KAFKA_OPTIONS,
} as const;

type OptionName = keyof typeof OPTIONS;

/** Flags that take no value (and have a --no- form). */
const BOOLEAN_FLAGS = new Set<string>(['prepare', 'watch-model', ...KAFKA_BOOLEAN_FLAGS]);

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const boolFromString = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');

const rawConfigSchema = z
  .strictObject({
    model: z.string().min(1).default(path.join(PACKAGE_ROOT, 'models', 'census-income')),
    host: z.string().min(1).default('127.0.0.1'),
    port: int(0, 65_535).default(8080),
    workers: int(1, 64).optional(),
    maxBatchRows: int(1, 65_536).optional(),
    maxRequestRows: int(1, 1_000_000).default(4096),
    maxQueueRows: int(1, 10_000_000).default(65_536),
    requestTimeoutMs: int(1, 3_600_000).default(30_000),
    // A full 4096-row census request is about 1.4 MB; parsing a body blocks the event loop, so the default leaves room without inviting 16 MB ones.
    bodyLimitBytes: int(1024, 1024 * 1024 * 1024).default(4 * 1024 * 1024),
    python: z.string().min(1).default('python3'),
    workerPython: z.string().min(1).optional(),
    workerStartTimeoutMs: int(100, 3_600_000).default(120_000),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    prepare: boolFromString.default(true),
    latencySloMs: int(1, 3_600_000).optional(),
    maxBatchWaitMs: int(0, 10_000).optional(),
    batchTimeoutFloorMs: int(10, 3_600_000).default(10_000),
    shutdownGraceMs: int(0, 3_600_000).default(30_000),
    adminToken: z.string().min(16, 'must be at least 16 characters').optional(),
    watchModel: boolFromString.default(false),
    ...kafkaConfigShape,
  })
  .superRefine((c, ctx) => {
    refineKafkaConfig(c, ctx);
    if (c.maxRequestRows > c.maxQueueRows) {
      ctx.addIssue({ code: 'custom', path: ['maxRequestRows'], message: `must not exceed maxQueueRows (${c.maxQueueRows}), or such a request could never be admitted` });
    }
    if (c.maxBatchRows !== undefined && c.maxBatchRows > c.maxQueueRows) {
      ctx.addIssue({ code: 'custom', path: ['maxBatchRows'], message: `must not exceed maxQueueRows (${c.maxQueueRows})` });
    }
  });

type RawConfig = z.infer<typeof rawConfigSchema>;

/** The gateway's whole configuration: validated once, frozen, every field filled. */
export interface GatewayConfig extends Readonly<Omit<RawConfig, 'workers' | 'maxBatchRows' | 'model' | 'latencySloMs' | 'maxBatchWaitMs' | KafkaDerivedField>>, KafkaDerivedConfig {
  readonly maxBatchWaitMs: number;
  readonly model: ModelSpec;
  readonly workers: number;
  readonly maxBatchRows: number;
  /** Latency objective in ms; `undefined` means none (only the queue bound refuses work). */
  readonly latencySloMs: number | undefined;
}

/** Flags and environment as one plain object; flags win over the environment. */
export function readOptions(argv: readonly string[], env: NodeJS.ProcessEnv): { values: Record<string, unknown>; help: boolean; prepareOnly: boolean } {
  const parseOptions: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' }, 'prepare-only': { type: 'boolean' } };
  for (const option of Object.values(OPTIONS)) {
    parseOptions[option.flag] = { type: BOOLEAN_FLAGS.has(option.flag) ? 'boolean' : 'string' };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: parseOptions, allowNegative: true, strict: true });
  } catch (error) {
    throw new ConfigError([{ field: 'arguments', reason: (error as Error).message }]);
  }
  const values: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(OPTIONS)) {
    const fromFlag = parsed.values[option.flag];
    const fromEnv = env[option.env];
    if (fromFlag !== undefined) values[name] = fromFlag;
    else if (fromEnv !== undefined && fromEnv !== '') values[name] = fromEnv;
  }
  return { values, help: parsed.values.help === true, prepareOnly: parsed.values['prepare-only'] === true };
}

function sourceOf(field: string): string {
  const option = OPTIONS[field.split(/[.[]/)[0] as OptionName];
  return option ? `${field} (--${option.flag} / ${option.env})` : field;
}

/** Validates options and loads the model manifest; throws {@link ConfigError} naming each bad option. */
export async function loadConfig(values: Record<string, unknown>): Promise<GatewayConfig> {
  const parsed = rawConfigSchema.safeParse(values);
  if (!parsed.success) {
    throw new ConfigError(formatIssues(parsed.error.issues).map((i) => ({ field: sourceOf(i.field), reason: i.reason })));
  }
  const raw = parsed.data;
  const model = await loadModelSpec(raw.model);
  return Object.freeze({
    ...raw,
    model,
    workers: raw.workers ?? model.manifest.workers ?? DEFAULT_WORKERS,
    maxBatchRows: raw.maxBatchRows ?? model.manifest.batching.maxBatchRows ?? DEFAULT_MAX_BATCH_ROWS,
    latencySloMs: raw.latencySloMs ?? model.manifest.batching.latencySloMs,
    maxBatchWaitMs: raw.maxBatchWaitMs ?? model.manifest.batching.maxBatchWaitMs ?? 0,
    ...kafkaDerivedConfig(raw),
  });
}

/** Text for `--help`. */
export function helpText(): string {
  const lines = [
    'Usage: npm start -- [options]',
    '',
    '  --help                 this text',
    '  --prepare-only         create the virtualenv and train a missing artifact, then exit',
    '',
    'Options (flag, environment variable):',
  ];
  for (const option of Object.values(OPTIONS)) {
    lines.push(`  --${option.flag.padEnd(20)} ${option.env.padEnd(28)} ${option.help}`);
  }
  return lines.join('\n');
}
