import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ModelError, PoisonRowError } from '../../errors.js';
import type { Manifest } from '../../model/manifest.js';
import type { Row } from '../../model/row-schema.js';
import { modelSchemas } from '../../registry/model-schemas.js';
import type { PredictingModel } from '../../registry/predicting-model.js';
import { errorBodySchema } from '../error-body.js';
import { RESPONSE_HEADERS_KEY, type SchemaRegistry } from '../openapi.js';
import { predictHeaders, predictSchemas, type PredictSchemas } from '../predict-schemas.js';
import { refuseBeforeBody } from '../refuse-before-body.js';
import { requestDeadline, type DeadlineLimits } from '../request-deadline.js';

/** Which model version answered (it changes when the model is reloaded). */
export const MODEL_VERSION_HEADER = 'x-model-version';

/** The models as the predict routes see them: looked up for every request. */
export interface PredictModels {
  /** The named model, or the default one; throws `ModelNotFoundError` when it is not loaded. */
  resolve(name: string | undefined): PredictingModel;
}

export interface PredictRouteOptions extends DeadlineLimits {
  readonly models: PredictModels;
  /** The models to document (their manifests at start-up), each under `/models/{name}/predict` with its own schemas and tag. */
  readonly documented: readonly Manifest[];
  readonly defaultModel: string;
  readonly maxRequestRows: number;
  readonly components: SchemaRegistry;
}

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: errorBodySchema } } });

const ERROR_RESPONSES = {
  400: errorResponse('Invalid input: issues name each field and why'),
  404: errorResponse('No such model is loaded (GW_ERR_MODEL_NOT_FOUND)'),
  408: errorResponse('The request (headers and body) did not arrive in full within --body-timeout-ms (GW_ERR_BAD_REQUEST); the connection is closed'),
  413: errorResponse('Body or row count over the limit'),
  415: errorResponse('Content-type is not application/json'),
  500: errorResponse('The model failed on this input'),
  503: errorResponse('Overloaded, not ready or shutting down: retry after Retry-After seconds'),
  504: errorResponse('Deadline (x-request-timeout) passed before the answer: rows still queued were not sent, rows already at the model were computed and dropped'),
};

/**
 * `POST /predict` (the default model), `POST /models/{name}/predict` (any
 * loaded model): one row → one result; `{"instances": [...]}` →
 * `{"predictions": [...]}`. Each documented model gets its own path, tag,
 * operationId and named schemas; a model loaded later is served by the same
 * path pattern. The model is looked up per request, and its body validated
 * with its own schemas, so a reloaded or newly loaded model is served at once.
 */
export function predictRoutes(app: FastifyInstance, options: PredictRouteOptions): void {
  const cache = new WeakMap<PredictingModel, PredictSchemas>();
  const limits = { maxRequestRows: options.maxRequestRows };
  const schemasOf = (model: PredictingModel): PredictSchemas => {
    let schemas = cache.get(model);
    if (schemas === undefined) {
      schemas = predictSchemas(model.schemas, limits);
      cache.set(model, schemas);
    }
    return schemas;
  };
  const headers = predictHeaders(options.maxTimeoutMs);

  const serve = async (name: string | undefined, request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const model = options.models.resolve(name);
    const checked = schemasOf(model).validateBody(request.body);
    if ('error' in checked) throw checked.error;
    const { timeoutMs, maxWaitMs } = requestDeadline(request.headers, options);
    const body = checked.value;
    const batch = isBatch(body);
    const { results, modelVersion } = await model.predict(batch ? body.instances : [body], { timeoutMs, source: 'http', maxWaitMs, requestId: request.id }).catch((error: unknown) => {
      throw batch ? namingInstance(error) : error;
    });
    if (modelVersion !== undefined) reply.header(MODEL_VERSION_HEADER, modelVersion);
    return batch ? { predictions: results } : results[0];
  };

  const documented = new Map(options.documented.map((model) => [model.name, { model, schemas: predictSchemas(modelSchemas(model), limits, { registry: options.components, prefix: componentPrefix(model.name) }) }]));
  const route = (url: string, operationId: string, name: string | undefined, doc: { model: Manifest; schemas: PredictSchemas } | undefined): void => {
    // The route's fixed model (/predict: the default), else the one its path names.
    const modelName = (request: FastifyRequest): string | undefined => name ?? (request.params as { name?: string }).name;
    app.withTypeProvider<ZodTypeProvider>().route({
      method: 'POST',
      url,
      schema: doc
        ? {
            summary: `Predict with ${doc.model.name}${name === undefined ? ' (the default model)' : ''}`,
            description: `${doc.model.description}\n\nSend one row as a JSON object, or several as {"instances": [...]}. Rows are batched with other requests' rows; each caller gets exactly its own results, in order.`,
            operationId,
            tags: [doc.model.name],
            headers,
            body: doc.schemas.body,
            response: { 200: doc.schemas.response, ...ERROR_RESPONSES },
            [RESPONSE_HEADERS_KEY]: { 200: [MODEL_VERSION_HEADER] },
          }
        : { hide: true },
      // Validation by the served model's own schemas, in the handler; the documented union would give worse messages for the same check.
      validatorCompiler: () => () => ({}),
      // Results come from the model as-is; JSON.stringify is the fastest safe serializer for them.
      serializerCompiler: () => (data) => JSON.stringify(data),
      onRequest: refuseBeforeBody((request) => options.models.resolve(modelName(request)), options),
      handler: (request, reply) => serve(modelName(request), request, reply),
    });
  };

  route('/predict', 'predict', undefined, documented.get(options.defaultModel));
  for (const [name, doc] of documented) route(`/models/${name}/predict`, `predict${componentPrefix(name)}`, name, doc);
  // Models loaded after start-up (and unknown names, answered 404).
  route('/models/:name/predict', 'predictModel', undefined, undefined);
}

/** `census-income` → `CensusIncome`: the model's prefix in component names and operationIds. */
function componentPrefix(name: string): string {
  const pascal = name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== '')
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
  return /^[0-9]/.test(pascal) ? `Model${pascal}` : pascal;
}

/** A row's failure in a several-row request names the row as the body does: `instances[2]`. */
function namingInstance(error: unknown): unknown {
  if ((error instanceof ModelError || error instanceof PoisonRowError) && error.location.row !== undefined) {
    return error.at({ field: `instances[${error.location.row}]` });
  }
  return error;
}

function isBatch(body: Row | { instances: Row[] }): body is { instances: Row[] } {
  return Array.isArray((body as { instances?: unknown }).instances);
}

