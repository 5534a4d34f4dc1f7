import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../errors.js';
import { formatIssues } from '../../format-issues.js';
import type { PredictingModel } from '../../registry/predicting-model.js';
import { ServedModel } from '../../registry/served-model.js';
import { requireAdminToken } from '../admin-auth.js';
import { errorBodySchema } from '../error-body.js';
import type { PredictModels } from './predict.js';

export interface AdminRouteOptions {
  readonly token: string;
  readonly models: PredictModels;
}

const int = (min: number, max: number) => z.int().min(min).max(max);

/** What `PATCH /admin/config` may change while serving. */
const tuningSchema = z.strictObject({
  maxBatchRows: int(1, 65_536).optional(),
  latencySloMs: int(1, 3_600_000).nullable().optional().describe('null removes the objective'),
  latencySloMaxCost: z.number().min(0).max(1).optional().describe('Most throughput (a share, 0–1) the objective may cost before it is reported infeasible and batches go for throughput'),
  maxBatchWaitMs: int(0, 10_000).optional(),
  batchTimeoutFloorMs: int(10, 3_600_000).optional(),
  maxQueueRows: int(1, 10_000_000).optional(),
  workers: int(1, 64).optional(),
});

const stateSchema = z.object({
  model: z.string(),
  version: z.string(),
  workers: z.int(),
  workersReady: z.int(),
  maxBatchRows: z.int(),
  latencySloMs: z.number().nullable(),
  latencySloMaxCost: z.number().describe('Most throughput (a share, 0–1) the objective may cost: when the batches that fit in half of it would serve less than 1 − this of what full batches do, objectiveFeasible turns false'),
  maxBatchWaitMs: z.number(),
  batchTimeoutFloorMs: z.number(),
  maxQueueRows: z.int(),
  batchCap: z.number().describe('Most rows the next batch may hold now: maxBatchRows, lowered to fit the latency objective but never below the size that amortises the fixed batch cost'),
  cost: z
    .object({
      fixedMs: z.number(),
      perRowMs: z.number(),
      samples: z.int(),
      slowMarginMs: z.number().describe('How much longer than the line the slow batches run (the 95th percentile of the recent batches\' scatter about it): admission plans the queue with the line plus this'),
    })
    .nullable()
    .describe('The learned batch cost: fixedMs + perRowMs × rows'),
  objectiveFeasible: z
    .boolean()
    .nullable()
    .describe(
      'Whether the latency objective can be met at a price worth paying, by the learned cost: a one-row batch fits in half of it, and the batches that fit there keep at least 1 − latencySloMaxCost of the throughput of full batches; false: batches are sized for throughput and the objective only bounds queueing; null: no objective, or still learning',
    ),
  objectiveInfeasibleReason: z
    .enum(['one-row', 'efficiency'])
    .nullable()
    .describe('Why objectiveFeasible is false: one-row (a one-row batch takes over half the objective) or efficiency (the batches that fit in half of it would serve less than 1 − latencySloMaxCost of what full batches do); null otherwise'),
  queuedRows: z.int(),
  inFlightBatches: z.int(),
});

const errors = { 400: errorBodySchema, 401: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema, 422: errorBodySchema };
/** A route that reads a JSON body also answers 413 (over --body-limit-bytes) and 415 (not application/json). */
const bodyErrors = { ...errors, 413: errorBodySchema, 415: errorBodySchema };
const nameParams = z.object({ name: z.string().describe('The model') });

/**
 * Admin endpoints, registered only when a token is configured: read and tune
 * one model's batching while serving, and reload it without downtime.
 * `/admin/config` is the default model's; `/admin/models/{name}/config` any model's.
 */
export function adminRoutes(app: FastifyInstance, options: AdminRouteOptions): void {
  const { models } = options;
  void app.register(async (admin) => {
    admin.addHook('onRequest', requireAdminToken(options.token));
    const typed = admin.withTypeProvider<ZodTypeProvider>();
    const security = [{ bearer: [] }];
    const tags = ['admin'];
    const tune = (model: ServedModel, change: z.infer<typeof tuningSchema>, log: FastifyBaseLogger): z.infer<typeof stateSchema> => {
      const { workers, latencySloMs, ...rest } = change;
      model.engine.tune({ ...definedOnly(rest), ...(latencySloMs === undefined ? {} : { latencySloMs: latencySloMs ?? undefined }) });
      if (workers !== undefined) model.resize(workers);
      log.info({ model: model.name, change }, 'admin: settings changed');
      return describeState(model);
    };
    const validatorCompiler = () => (body: unknown) => {
      const parsed = tuningSchema.safeParse(body);
      return parsed.success ? { value: parsed.data } : { error: new ValidationError(formatIssues(parsed.error.issues)) };
    };
    typed.get(
      '/admin/config',
      { schema: { summary: "The default model's batching settings, what its cost model learned, and its queue", operationId: 'getDefaultModelConfig', tags, security, response: { 200: stateSchema, ...errors } } },
      async () => describeState(local(models.resolve(undefined))),
    );
    typed.patch(
      '/admin/config',
      {
        schema: { summary: "Change the default model's batching, admission or worker count while serving", operationId: 'tuneDefaultModel', tags, security, body: tuningSchema, response: { 200: stateSchema, ...bodyErrors } },
        validatorCompiler,
      },
      async (request) => tune(local(models.resolve(undefined)), request.body, request.log),
    );
    typed.get(
      '/admin/models/:name/config',
      { schema: { summary: "A model's batching settings, what its cost model learned, and its queue", operationId: 'getModelConfig', tags, security, params: nameParams, response: { 200: stateSchema, ...errors } } },
      async (request) => describeState(local(models.resolve(request.params.name))),
    );
    typed.patch(
      '/admin/models/:name/config',
      {
        schema: { summary: "Change a model's batching, admission or worker count while serving", operationId: 'tuneModel', tags, security, params: nameParams, body: tuningSchema, response: { 200: stateSchema, ...bodyErrors } },
        validatorCompiler: ({ httpPart }) => (httpPart === 'body' ? validatorCompiler() : (value: unknown) => ({ value })),
      },
      async (request) => tune(local(models.resolve(request.params.name)), request.body, request.log),
    );
    typed.post(
      '/admin/models/:name/reload',
      {
        schema: {
          summary: 'Start workers on the model as it is now on disk, switch traffic once they are ready, drain the old ones',
          operationId: 'reloadModel',
          tags,
          security,
          params: nameParams,
          response: { 200: z.object({ model: z.string(), previousVersion: z.string(), version: z.string(), durationMs: z.int().describe("Time the reload took, in whole milliseconds") }), ...errors },
        },
      },
      async (request) => models.resolve(request.params.name).reload(),
    );
  });
}

/** The batching of a model forwarded to Kafka is the worker instances' (tune it there): only a local model has an engine here. */
function local(model: PredictingModel): ServedModel {
  if (model instanceof ServedModel) return model;
  throw new NotFoundError(`model ${model.name} is forwarded to Kafka: its batching and workers are the worker instances' (tune them on their own admin API)`);
}

function describeState(model: ServedModel): z.infer<typeof stateSchema> {
  const state = model.engine.state;
  const { settings } = state;
  return {
    model: model.name,
    version: model.version,
    workers: model.pool.size,
    workersReady: model.pool.readyCount,
    maxBatchRows: settings.maxBatchRows,
    latencySloMs: settings.latencySloMs ?? null,
    latencySloMaxCost: settings.latencySloMaxCost,
    maxBatchWaitMs: settings.maxBatchWaitMs,
    batchTimeoutFloorMs: settings.batchTimeoutFloorMs,
    maxQueueRows: settings.maxQueueRows,
    batchCap: Number.isFinite(state.batchCap) ? state.batchCap : settings.maxBatchRows,
    // Rounded for people reading it: the fit is an estimate, its 15th digit is noise.
    cost: state.cost ? { fixedMs: round(state.cost.fixedMs, 3), perRowMs: round(state.cost.perRowMs, 5), samples: state.cost.samples, slowMarginMs: round(state.cost.slowMarginMs ?? 0, 3) } : null,
    objectiveFeasible: state.objectiveFeasible ?? null,
    objectiveInfeasibleReason: state.objectiveInfeasibleReason ?? null,
    queuedRows: state.queuedRows,
    inFlightBatches: state.inFlightBatches,
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
