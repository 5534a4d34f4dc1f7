import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Engine } from '../../engine/engine.js';
import type { Row } from '../../model/row-schema.js';
import { errorBodySchema, type PredictSchemas } from '../predict-schemas.js';

/** Which model version answered (it changes when the model is reloaded). */
export const MODEL_VERSION_HEADER = 'x-model-version';

export interface PredictRouteOptions {
  readonly engine: Engine;
  readonly schemas: PredictSchemas;
  readonly defaultTimeoutMs: number;
  readonly modelName: string;
  readonly modelVersion: string;
}

/** `POST /predict`: one row → one result; `{"instances": [...]}` → `{"predictions": [...]}`. */
export function predictRoute(app: FastifyInstance, options: PredictRouteOptions): void {
  const { engine, schemas, defaultTimeoutMs } = options;
  app.withTypeProvider<ZodTypeProvider>().route({
    method: 'POST',
    url: '/predict',
    schema: {
      summary: `Predict with ${options.modelName} ${options.modelVersion}`,
      description: 'Send one row as a JSON object, or several as {"instances": [...]}. Rows are batched with other requests\' rows; each caller gets exactly its own results, in order.',
      headers: schemas.headers,
      body: schemas.body,
      response: {
        200: schemas.response,
        400: errorBodySchema.describe('Invalid input: issues name each field and why'),
        413: errorBodySchema.describe('Body or row count over the limit'),
        415: errorBodySchema.describe('Content-type is not application/json'),
        500: errorBodySchema.describe('The model failed on this input'),
        503: errorBodySchema.describe('Overloaded or not ready: retry after Retry-After seconds'),
        504: errorBodySchema.describe('Deadline (x-request-timeout) passed before the rows reached the model'),
      },
    },
    // Validation by the model's own zod schemas (built once from the manifest);
    // the documented union above would give worse messages for the same check.
    validatorCompiler: ({ httpPart }) => {
      if (httpPart === 'body') return (body: unknown) => schemas.validateBody(body);
      if (httpPart === 'headers') {
        return (headers: unknown) => {
          const checked = schemas.validateTimeout((headers as Record<string, unknown>)['x-request-timeout']);
          return 'error' in checked ? checked : {};
        };
      }
      return () => ({});
    },
    // Results come from the model as-is; JSON.stringify is the fastest safe serializer for them.
    serializerCompiler: () => (data) => JSON.stringify(data),
    handler: async (request, reply) => {
      const header = request.headers['x-request-timeout'];
      const timeoutMs = header === undefined ? defaultTimeoutMs : Number(header);
      const body = request.body as Row | { instances: Row[] };
      const batch = isBatch(body);
      // A caller that sets its own deadline will wait that long: it is admitted up to it, not up to the latency objective.
      const maxWaitMs = header === undefined ? undefined : timeoutMs;
      const { results, modelVersion } = await engine.predict(batch ? body.instances : [body], { timeoutMs, source: 'http', maxWaitMs });
      if (modelVersion !== undefined) reply.header(MODEL_VERSION_HEADER, modelVersion);
      return batch ? { predictions: results } : results[0];
    },
  });
}

function isBatch(body: Row | { instances: Row[] }): body is { instances: Row[] } {
  return Array.isArray((body as { instances?: unknown }).instances);
}
