import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError, type FieldIssue } from '../errors.js';
import { KAFKA_BOOLEAN_FLAGS, KAFKA_OPTIONS, kafkaConfigShape, kafkaDerivedConfig, refineKafkaConfig, type KafkaDerivedConfig, type KafkaDerivedField } from '../kafka/kafka-config.js';
import { loadModelSpec, type ModelSpec } from '../model/manifest.js';
import { ModelRepository } from '../model/model-repository.js';
import { formatIssues } from '../format-issues.js';
import { DEFAULT_LATENCY_SLO_MAX_COST } from '../engine/objective-feasibility.js';

/** Repository root, found from this file whether it runs from `src/` or `dist/`. */
export const PACKAGE_ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** The gateway's own version (package.json), reported by the OpenAPI document and V2 server metadata. */
export const GATEWAY_VERSION = (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** Folder holding the `gateway_worker` Python package and its requirements. */
export const PYTHON_DIR = path.join(PACKAGE_ROOT, 'python');

/**
 * Workers when neither a flag nor the manifest says: measured on a 2-core box
 * with `npm run bench` (see bench/RESULTS.md, "workers").
 */
export const DEFAULT_WORKERS = 2;
export const DEFAULT_MAX_BATCH_ROWS = 1024;
export const DEFAULT_MAX_QUEUE_ROWS = 65_536;
/** The repository `npm start` serves when neither --model nor --model-repository is given. */
export const DEFAULT_MODEL_REPOSITORY = path.join(PACKAGE_ROOT, 'models');

/** Each option: its flag, its environment variable, and what it means (for --help). */
const OPTIONS = {
  model: { flag: 'model', env: 'GATEWAY_MODEL', help: 'serve this one model directory (holds model.json)' },
  modelRepository: { flag: 'model-repository', env: 'GATEWAY_MODEL_REPOSITORY', help: 'serve every model directory in this folder (default: models/)' },
  defaultModel: { flag: 'default-model', env: 'GATEWAY_DEFAULT_MODEL', help: 'the model /predict and Kafka records without a model header go to (default: the first name in sorted order)' },
  host: { flag: 'host', env: 'HOST', help: 'interface to listen on' },
  port: { flag: 'port', env: 'PORT', help: 'HTTP port' },
  workers: { flag: 'workers', env: 'GATEWAY_WORKERS', help: 'workers per model: Python processes, or threads for an ONNX model (default: manifest, else 2)' },
  maxBatchRows: { flag: 'max-batch-rows', env: 'GATEWAY_MAX_BATCH_ROWS', help: 'most rows sent to a worker in one batch (default: manifest, else 1024)' },
  maxRequestRows: { flag: 'max-request-rows', env: 'GATEWAY_MAX_REQUEST_ROWS', help: 'most rows in one request ("instances")' },
  maxQueueRows: { flag: 'max-queue-rows', env: 'GATEWAY_MAX_QUEUE_ROWS', help: 'rows waiting for a model before new requests are refused with 503 (default: manifest, else 65536)' },
  requestTimeoutMs: { flag: 'request-timeout-ms', env: 'GATEWAY_REQUEST_TIMEOUT_MS', help: 'default deadline of a request (header x-request-timeout overrides)' },
  bodyLimitBytes: { flag: 'body-limit-bytes', env: 'GATEWAY_BODY_LIMIT_BYTES', help: 'largest accepted request body' },
  bodyTimeoutMs: { flag: 'body-timeout-ms', env: 'GATEWAY_BODY_TIMEOUT_MS', help: 'time a client has to send a whole request, headers and body; a slower one is answered 408' },
  python: { flag: 'python', env: 'GATEWAY_PYTHON', help: 'Python used to create the model virtualenv' },
  workerNice: { flag: 'worker-nice', env: 'GATEWAY_WORKER_NICE', help: 'run Python workers at this much lower CPU priority (0-19, nice), so the gateway itself keeps answering (and refusing) on a saturated machine (default 0)' },
  workerStartTimeoutMs: { flag: 'worker-start-timeout-ms', env: 'GATEWAY_WORKER_START_TIMEOUT_MS', help: 'a worker not ready this long after starting (model still loading) is killed and reported' },
  workerPython: { flag: 'worker-python', env: 'GATEWAY_WORKER_PYTHON', help: 'run workers with this Python (an environment you manage) instead of <model>/.venv' },
  logLevel: { flag: 'log-level', env: 'LOG_LEVEL', help: 'fatal, error, warn, info, debug or trace' },
  prepare: { flag: 'prepare', env: 'GATEWAY_PREPARE', help: 'create the virtualenv and train a missing artifact at start (--no-prepare to skip)' },
  latencySloMs: { flag: 'latency-slo-ms', env: 'GATEWAY_LATENCY_SLO_MS', help: 'latency objective: caps batch size and refuses (503) requests predicted to wait longer (default: manifest, else none)' },
  latencySloMaxCost: { flag: 'latency-slo-max-cost', env: 'GATEWAY_LATENCY_SLO_MAX_COST', help: 'most throughput (a share, 0-1) the latency objective may cost: when the batches that meet it would serve less than 1 minus this of what full batches do, it is reported infeasible and batches go for throughput (default: manifest, else 0.1)' },
  maxBatchWaitMs: { flag: 'max-batch-wait-ms', env: 'GATEWAY_MAX_BATCH_WAIT_MS', help: 'longest an idle worker may wait for a fuller batch, only when the cost model says it pays (default: manifest, else 0: never wait)' },
  batchTimeoutFloorMs: { flag: 'batch-timeout-floor-ms', env: 'GATEWAY_BATCH_TIMEOUT_FLOOR_MS', help: 'least time a batch may run before its worker is deemed hung and replaced' },
  shutdownGraceMs: { flag: 'shutdown-grace-ms', env: 'GATEWAY_SHUTDOWN_GRACE_MS', help: 'on SIGTERM/SIGINT, time to finish accepted work before exiting anyway' },
  adminToken: { flag: 'admin-token', env: 'GATEWAY_ADMIN_TOKEN', help: 'bearer token for /admin endpoints (unset: admin endpoints are off)' },
  watchModel: { flag: 'watch-model', env: 'GATEWAY_WATCH_MODEL', help: 'reload the model when its artifact or model.json changes on disk' },
  exitOnError: { flag: 'exit-on-error', env: 'GATEWAY_EXIT_ON_ERROR', help: 'stop at start-up when a model cannot be loaded, as Triton does (--no-exit-on-error: serve the others; the repository index says why it failed)' },
  ...KAFKA_OPTIONS,
} as const;

type OptionName = keyof typeof OPTIONS;

/** Flags that take no value (and have a --no- form). */
const BOOLEAN_FLAGS = new Set<string>(['prepare', 'watch-model', 'exit-on-error', ...KAFKA_BOOLEAN_FLAGS]);

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const boolFromString = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');

const rawConfigSchema = z
  .strictObject({
    model: z.string().min(1).optional(),
    modelRepository: z.string().min(1).optional(),
    defaultModel: z.string().min(1).optional(),
    host: z.string().min(1).default('127.0.0.1'),
    port: int(0, 65_535).default(8080),
    workers: int(1, 64).optional(),
    maxBatchRows: int(1, 65_536).optional(),
    maxRequestRows: int(1, 1_000_000).default(4096),
    maxQueueRows: int(1, 10_000_000).optional(),
    requestTimeoutMs: int(1, 3_600_000).default(30_000),
    // A full 4096-row census request is about 1.4 MB; parsing a body blocks the event loop, so the default leaves room without inviting 16 MB ones.
    bodyLimitBytes: int(1024, 1024 * 1024 * 1024).default(4 * 1024 * 1024),
    // 4 MiB in 30 s is ~1.1 Mbit/s: any real client on a real link, and a trickling one holds its connection no longer.
    bodyTimeoutMs: int(100, 3_600_000).default(30_000),
    python: z.string().min(1).default('python3'),
    workerPython: z.string().min(1).optional(),
    workerStartTimeoutMs: int(100, 3_600_000).default(120_000),
    workerNice: int(0, 19).default(0),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    prepare: boolFromString.default(true),
    latencySloMs: int(1, 3_600_000).optional(),
    latencySloMaxCost: z.coerce.number().min(0).max(1).optional(),
    maxBatchWaitMs: int(0, 10_000).optional(),
    batchTimeoutFloorMs: int(10, 3_600_000).default(10_000),
    shutdownGraceMs: int(0, 3_600_000).default(30_000),
    adminToken: z.string().min(16, 'must be at least 16 characters').optional(),
    watchModel: boolFromString.default(false),
    exitOnError: boolFromString.default(true),
    ...kafkaConfigShape,
  })
  .superRefine((c, ctx) => {
    refineKafkaConfig(c, ctx);
    if (c.model !== undefined && c.modelRepository !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['modelRepository'], message: 'give either --model (one model) or --model-repository (every model in a folder), not both' });
    }
    const queueRows = c.maxQueueRows ?? DEFAULT_MAX_QUEUE_ROWS;
    if (c.maxQueueRows !== undefined && c.maxRequestRows > queueRows) {
      ctx.addIssue({ code: 'custom', path: ['maxRequestRows'], message: `must not exceed maxQueueRows (${queueRows}), or such a request could never be admitted` });
    }
    if (c.maxBatchRows !== undefined && c.maxBatchRows > queueRows) {
      ctx.addIssue({ code: 'custom', path: ['maxBatchRows'], message: `must not exceed maxQueueRows (${queueRows})` });
    }
  });

type RawConfig = z.infer<typeof rawConfigSchema>;

/** Per-model settings given by flags: each, when set, overrides every model's manifest. */
export type ModelOverrides = Readonly<Pick<RawConfig, 'workers' | 'maxBatchRows' | 'maxQueueRows' | 'latencySloMs' | 'latencySloMaxCost' | 'maxBatchWaitMs'>>;

/** One model's settings, every field filled: flag, else manifest, else the default. */
export interface ModelConfig {
  readonly spec: ModelSpec;
  readonly workers: number;
  readonly maxBatchRows: number;
  readonly maxQueueRows: number;
  /** Latency objective in ms; `undefined` means none (only the queue bound refuses work). */
  readonly latencySloMs: number | undefined;
  /** The most throughput the objective may cost before it is reported infeasible (see ObjectiveFeasibility). */
  readonly latencySloMaxCost: number;
  readonly maxBatchWaitMs: number;
}

/** The gateway's whole configuration: validated once, frozen, every field filled. */
export interface GatewayConfig
  extends Readonly<Omit<RawConfig, 'model' | 'modelRepository' | 'defaultModel' | keyof ModelOverrides | KafkaDerivedField>>,
    KafkaDerivedConfig {
  /** The model directories the gateway may serve (one with --model); the repository API loads from here. */
  readonly repository: ModelRepository;
  /** The models served from the start, in sorted order. */
  readonly models: readonly ModelConfig[];
  /** With `--no-exit-on-error`: the repository's models whose manifest or settings are bad, left unloaded. */
  readonly failedModels: readonly FailedModel[];
  /** Served by `/predict` and Kafka records without a `model` header. */
  readonly defaultModel: string;
  readonly overrides: ModelOverrides;
}

/**
 * A model's settings from the flags and its manifest; used at start and for
 * each model the repository API loads later. Throws {@link ConfigError}
 * naming the model when they contradict each other.
 */
export function modelConfig(spec: ModelSpec, overrides: ModelOverrides, maxRequestRows: number): ModelConfig {
  const { batching, workers, name } = spec.manifest;
  const config: ModelConfig = Object.freeze({
    spec,
    workers: overrides.workers ?? workers ?? DEFAULT_WORKERS,
    maxBatchRows: overrides.maxBatchRows ?? batching.maxBatchRows ?? DEFAULT_MAX_BATCH_ROWS,
    maxQueueRows: overrides.maxQueueRows ?? batching.maxQueueRows ?? DEFAULT_MAX_QUEUE_ROWS,
    latencySloMs: overrides.latencySloMs ?? batching.latencySloMs,
    latencySloMaxCost: overrides.latencySloMaxCost ?? batching.latencySloMaxCost ?? DEFAULT_LATENCY_SLO_MAX_COST,
    maxBatchWaitMs: overrides.maxBatchWaitMs ?? batching.maxBatchWaitMs ?? 0,
  });
  const issues: FieldIssue[] = [];
  if (maxRequestRows > config.maxQueueRows) issues.push({ field: `${name}: maxQueueRows`, reason: `${config.maxQueueRows} is below maxRequestRows (${maxRequestRows}): such a request could never be admitted` });
  if (config.maxBatchRows > config.maxQueueRows) issues.push({ field: `${name}: maxBatchRows`, reason: `must not exceed maxQueueRows (${config.maxQueueRows})` });
  if (issues.length > 0) throw new ConfigError(issues);
  return config;
}

/** A model of the repository that could not be loaded at start-up, and why. */
export interface FailedModel {
  readonly name: string;
  readonly error: Error;
}

/**
 * Every model of the repository configured for start-up. With `exitOnError`
 * the first bad manifest or contradicting setting throws; without, such
 * models are set aside (the others are still served), unless none is left.
 */
async function startingModels(repository: ModelRepository, overrides: ModelOverrides, maxRequestRows: number, exitOnError: boolean): Promise<{ models: ModelConfig[]; failed: FailedModel[] }> {
  const names = await repository.names();
  const outcomes = await Promise.allSettled(names.map(async (name) => modelConfig(await repository.spec(name), overrides, maxRequestRows)));
  const models: ModelConfig[] = [];
  const failed: FailedModel[] = [];
  outcomes.forEach((outcome, i) => {
    if (outcome.status === 'fulfilled') models.push(outcome.value);
    else if (outcome.reason instanceof Error) failed.push({ name: names[i]!, error: outcome.reason });
    else throw outcome.reason;
  });
  if (failed.length > 0 && (exitOnError || models.length === 0)) throw failed[0]!.error;
  return { models, failed };
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

/** Validates options and loads every model manifest; throws {@link ConfigError} naming each bad option. */
export async function loadConfig(values: Record<string, unknown>): Promise<GatewayConfig> {
  const parsed = rawConfigSchema.safeParse(values);
  if (!parsed.success) {
    throw new ConfigError(formatIssues(parsed.error.issues).map((i) => ({ field: sourceOf(i.field), reason: i.reason })));
  }
  const { model, modelRepository, defaultModel, workers, maxBatchRows, maxQueueRows, latencySloMs, latencySloMaxCost, maxBatchWaitMs, ...raw } = parsed.data;
  const overrides: ModelOverrides = Object.freeze({ workers, maxBatchRows, maxQueueRows, latencySloMs, latencySloMaxCost, maxBatchWaitMs });
  const repository = model !== undefined ? ModelRepository.single(await loadModelSpec(model)) : ModelRepository.directory(modelRepository ?? DEFAULT_MODEL_REPOSITORY);
  const { models, failed } = await startingModels(repository, overrides, raw.maxRequestRows, raw.exitOnError);
  if (models.length === 0 && failed.length === 0) {
    throw new ConfigError([{ field: sourceOf('modelRepository'), reason: `${repository.root} holds no model directory (a folder with a model.json)` }]);
  }
  const names = [...models.map((m) => m.spec.manifest.name), ...failed.map((f) => f.name)].sort();
  if (defaultModel !== undefined && !names.includes(defaultModel)) {
    throw new ConfigError([{ field: sourceOf('defaultModel'), reason: `"${defaultModel}" is not among the models served (${names.join(', ')})` }]);
  }
  return Object.freeze({
    ...raw,
    repository,
    models: Object.freeze(models),
    failedModels: Object.freeze(failed),
    defaultModel: defaultModel ?? names[0]!,
    overrides,
    ...kafkaDerivedConfig(raw),
  });
}

/** Text for `--help`. */
export function helpText(): string {
  const options = Object.values(OPTIONS);
  // Columns as wide as the longest flag and variable, so every line lines up.
  const flagWidth = Math.max(...options.map((o) => o.flag.length), 'prepare-only'.length);
  const envWidth = Math.max(...options.map((o) => o.env.length));
  const lines = [
    'Usage: npm start -- [options]',
    '',
    `  --${'help'.padEnd(flagWidth)} this text`,
    `  --${'prepare-only'.padEnd(flagWidth)} create the virtualenv and train a missing artifact, then exit`,
    '',
    'Options (flag, environment variable):',
  ];
  for (const option of options) {
    lines.push(`  --${option.flag.padEnd(flagWidth)} ${option.env.padEnd(envWidth)} ${option.help}`);
  }
  return lines.join('\n');
}
