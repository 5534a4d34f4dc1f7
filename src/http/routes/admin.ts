import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Engine, EngineState } from '../../engine/engine.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import { formatIssues } from '../../config/format-issues.js';
import type { LiveModel } from '../../serving/live-model.js';
import { requireAdminToken } from '../admin-auth.js';
import { errorBodySchema } from '../predict-schemas.js';

export interface AdminRouteOptions {
  readonly token: string;
  readonly engine: Engine;
  readonly model: LiveModel;
}

const int = (min: number, max: number) => z.int().min(min).max(max);

/** What `PATCH /admin/config` may change while serving. */
const tuningSchema = z.strictObject({
  maxBatchRows: int(1, 65_536).optional(),
  latencySloMs: int(1, 3_600_000).nullable().optional().describe('null removes the objective'),
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
  maxBatchWaitMs: z.number(),
  batchTimeoutFloorMs: z.number(),
  maxQueueRows: z.int(),
  batchCap: z.number().describe('Most rows the next batch may hold now: maxBatchRows, lowered to fit the latency objective but never below the size that amortises the fixed batch cost'),
  cost: z.object({ fixedMs: z.number(), perRowMs: z.number(), samples: z.int() }).nullable().describe('The learned batch cost: fixedMs + perRowMs × rows'),
  objectiveFeasible: z
    .boolean()
    .nullable()
    .describe('Whether a one-row batch meets the latency objective by the learned cost; false: batches are sized for throughput and the objective only bounds queueing; null: no objective, or still learning'),
  queuedRows: z.int(),
  inFlightBatches: z.int(),
});

const errors = { 400: errorBodySchema, 401: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema, 422: errorBodySchema };

/**
 * Admin endpoints, registered only when a token is configured: read and tune
 * batching while serving, and reload the model without downtime.
 */
export function adminRoutes(app: FastifyInstance, options: AdminRouteOptions): void {
  const { engine, model } = options;
  const describe = () => describeState(engine.state, model);
  void app.register(async (admin) => {
    admin.addHook('onRequest', requireAdminToken(options.token));
    const typed = admin.withTypeProvider<ZodTypeProvider>();
    const security = [{ bearer: [] }];
    typed.get('/admin/config', { schema: { summary: 'Batching settings, what the cost model learned, and the queue', security, response: { 200: stateSchema, ...errors } } }, async () => describe());
    typed.patch(
      '/admin/config',
      {
        schema: { summary: 'Change batching, admission or worker count while serving', security, body: tuningSchema, response: { 200: stateSchema, ...errors } },
        validatorCompiler: () => (body: unknown) => {
          const parsed = tuningSchema.safeParse(body);
          return parsed.success ? { value: parsed.data } : { error: new ValidationError(formatIssues(parsed.error.issues)) };
        },
      },
      async (request) => {
        const { workers, latencySloMs, ...rest } = request.body;
        engine.tune({ ...definedOnly(rest), ...(latencySloMs === undefined ? {} : { latencySloMs: latencySloMs ?? undefined }) });
        if (workers !== undefined) model.resize(workers);
        request.log.info({ change: request.body }, 'admin: settings changed');
        return describe();
      },
    );
    typed.post(
      '/admin/models/:name/reload',
      {
        schema: {
          summary: 'Start workers on the model as it is now on disk, switch traffic once they are ready, drain the old ones',
          security,
          params: z.object({ name: z.string() }),
          response: { 200: z.object({ model: z.string(), previousVersion: z.string(), version: z.string(), durationMs: z.number() }), ...errors },
        },
      },
      async (request) => {
        const { name } = request.params;
        if (name !== model.spec.manifest.name) throw new NotFoundError(`no model named "${name}" is served here (this gateway serves "${model.spec.manifest.name}")`);
        return model.reload();
      },
    );
  });
}

function describeState(state: EngineState, model: LiveModel): z.infer<typeof stateSchema> {
  const { settings } = state;
  return {
    model: model.spec.manifest.name,
    version: model.version,
    workers: model.pool.size,
    workersReady: model.pool.readyCount,
    maxBatchRows: settings.maxBatchRows,
    latencySloMs: settings.latencySloMs ?? null,
    maxBatchWaitMs: settings.maxBatchWaitMs,
    batchTimeoutFloorMs: settings.batchTimeoutFloorMs,
    maxQueueRows: settings.maxQueueRows,
    batchCap: Number.isFinite(state.batchCap) ? state.batchCap : settings.maxBatchRows,
    cost: state.cost ? { ...state.cost } : null,
    objectiveFeasible: state.objectiveFeasible ?? null,
    queuedRows: state.queuedRows,
    inFlightBatches: state.inFlightBatches,
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
