import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { InvalidJsonError, NotFoundError, NotReadyError, ValidationError } from '../errors.js';
import { formatIssues } from '../format-issues.js';
import { REQUEST_ID_HEADER } from '../http/request-id.js';
import { refuseBeforeBody } from '../http/refuse-before-body.js';
import { REQUEST_TIMEOUT_HEADER, requestDeadline } from '../http/request-deadline.js';
import { nameComponent, type SchemaRegistry } from '../http/openapi.js';
import { MODEL_VERSION_HEADER } from '../http/routes/predict.js';
import { rowSchema as manifestRowSchema } from '../model/row-schema.js';
import type { ObjectSchema } from '../model/manifest.js';
import type { DeclaredObject } from './declared-fields.js';
import { checkRows, decodeInputs } from './decode-inputs.js';
import { chooseOutputs, encodeOutputs } from './encode-outputs.js';
import { tensorSpecs } from './tensor-spec.js';
import { rawBinaryRequest } from './raw-binary-request.js';
import { acceptV2Bodies, INFERENCE_HEADER_CONTENT_LENGTH, type V2Body } from './v2-body.js';
import { v2ErrorHandler } from './v2-errors.js';
import type { V2Model, V2Models } from './v2-models.js';
import {
  inferRequestSchema,
  inferResponseSchema,
  modelMetadataSchema,
  modelReadySchema,
  serverLiveSchema,
  serverMetadataSchema,
  serverReadySchema,
  V2_COMPONENTS,
  v2ErrorSchema,
  type InferRequest,
} from './v2-schemas.js';

/** The extension every build of this front door implements. */
export const BINARY_TENSOR_DATA_EXTENSION = 'binary_tensor_data';

export interface V2RouteOptions {
  /** The served models, looked up on every request. */
  readonly models: V2Models;
  /** `GET /v2`: the server's name and version. */
  readonly serverName: string;
  readonly serverVersion: string;
  /** Extensions served beside `binary_tensor_data`, e.g. `model_repository` once its routes are registered. */
  readonly extensions?: readonly string[];
  /** Deadline of a request without `x-request-timeout`, and the largest one it may set. */
  readonly defaultTimeoutMs: number;
  readonly maxTimeoutMs: number;
  /** Rows one request may carry (the first dimension of its inputs). */
  readonly maxRequestRows: number;
  /**
   * Builds a model's row schema from its input declaration; default: the
   * one `/predict` uses (`rowSchema` of `src/model/row-schema.ts`).
   */
  readonly rowSchema?: (input: DeclaredObject) => z.ZodType;
  /**
   * Registers more routes inside the V2 scope (paths relative to `/v2`), so
   * that they share its body parser, error body and 404s: e.g. the
   * repository extension's `/repository/index`.
   */
  readonly routes?: (v2: FastifyInstance) => void | Promise<void>;
  /** The server's OpenAPI components: the protocol's bodies are named there. */
  readonly components?: SchemaRegistry;
}

const TAG = 'v2';
const nameParams = z.object({ name: z.string().describe('Model name') });
const versionParams = z.object({ name: z.string().describe('Model name'), version: z.string().describe('Model version: the live one, else 404') });
const errors = {
  400: v2ErrorSchema.describe('Invalid input: the message names the input and why'),
  404: v2ErrorSchema.describe('No such model or version'),
  413: v2ErrorSchema.describe('Body or row count over the limit'),
  500: v2ErrorSchema.describe('The model failed on this input'),
  503: v2ErrorSchema.describe('Overloaded or not ready: retry after Retry-After seconds'),
  504: v2ErrorSchema.describe('Deadline (x-request-timeout) passed before the rows reached the model'),
};

interface ModelParams {
  readonly name: string;
  readonly version?: string;
}

/**
 * The Open Inference Protocol (KServe V2) REST front door, under `/v2`, in
 * its own encapsulated scope: its own body parser (any content type, the
 * binary tensor extension), error body (`{"error": "..."}`) and 404s, so
 * that the gateway's other routes are unchanged.
 */
export async function registerV2Routes(app: FastifyInstance, options: V2RouteOptions): Promise<void> {
  if (options.components !== undefined) for (const [schema, id] of V2_COMPONENTS) nameComponent(options.components, schema, id);
  await app.register(async (v2) => v2Routes(v2, options), { prefix: '/v2' });
}

async function v2Routes(app: FastifyInstance, options: V2RouteOptions): Promise<void> {
  const { models } = options;
  const extensions = [BINARY_TENSOR_DATA_EXTENSION, ...(options.extensions ?? [])];
  const buildRowSchema = options.rowSchema ?? ((input: DeclaredObject) => manifestRowSchema(input as ObjectSchema));
  const rowSchemas = new WeakMap<DeclaredObject, z.ZodType>();
  const rowSchemaOf = (model: V2Model): z.ZodType => {
    let schema = rowSchemas.get(model.input);
    if (schema === undefined) {
      schema = buildRowSchema(model.input);
      rowSchemas.set(model.input, schema);
    }
    return schema;
  };

  acceptV2Bodies(app);
  // Bodies, params and headers are read by the handlers below; the schemas only document them.
  app.setValidatorCompiler(() => (value: unknown) => ({ value }));
  app.setSerializerCompiler(() => (data: unknown) => JSON.stringify(data));
  app.setErrorHandler(v2ErrorHandler(app.initialConfig.bodyLimit ?? 1_048_576));
  app.setNotFoundHandler((request, reply) => {
    reply.send(new NotFoundError(`no route ${request.method} ${request.url.split('?')[0]} in the Open Inference Protocol`));
  });

  const resolve = (params: ModelParams): V2Model => {
    const model = models.get(params.name);
    if (model === undefined) {
      // The names of the served models are the repository index's to tell (behind the admin token), not a 404's.
      throw new NotFoundError(`no model named ${JSON.stringify(params.name)} is served`);
    }
    if (params.version !== undefined && params.version !== model.version) {
      throw new NotFoundError(`model ${model.name} has no version ${JSON.stringify(params.version)}; it serves ${model.version ?? 'no named version'}`);
    }
    return model;
  };

  app.get('/', {
    schema: { tags: [TAG], operationId: 'v2ServerMetadata', summary: 'Server metadata and extensions', response: { 200: serverMetadataSchema } },
    handler: async () => ({ name: options.serverName, version: options.serverVersion, extensions }),
  });

  app.get('/health/live', {
    schema: { tags: [TAG], operationId: 'v2ServerLive', summary: 'Server liveness', response: { 200: serverLiveSchema, 503: serverLiveSchema } },
    handler: async (_request, reply) => {
      const live = models.live();
      return reply.code(live ? 200 : 503).send({ live });
    },
  });

  app.get('/health/ready', {
    schema: { tags: [TAG], operationId: 'v2ServerReady', summary: 'Server readiness: every model ready', response: { 200: serverReadySchema, 503: serverReadySchema } },
    handler: async (_request, reply) => {
      const ready = models.ready();
      return reply.code(ready ? 200 : 503).send({ ready });
    },
  });

  const metadata = async (request: FastifyRequest) => {
    const model = resolve(request.params as ModelParams);
    const tensors = (object: DeclaredObject) => tensorSpecs(object).map(({ name, datatype, shape }) => ({ name, datatype, shape: [...shape] }));
    return {
      name: model.name,
      ...(model.version === undefined ? {} : { versions: [model.version] }),
      platform: model.platform ?? '',
      inputs: tensors(model.input),
      outputs: tensors(model.output),
    };
  };
  const metadataResponse = { 200: modelMetadataSchema, 404: errors[404] };
  app.get('/models/:name', {
    schema: { tags: [TAG], operationId: 'v2ModelMetadata', summary: 'Model metadata: input and output tensors', params: nameParams, response: metadataResponse },
    handler: metadata,
  });
  app.get('/models/:name/versions/:version', {
    schema: { tags: [TAG], operationId: 'v2ModelVersionMetadata', summary: 'Model metadata of one version', params: versionParams, response: metadataResponse },
    handler: metadata,
  });

  const modelReady = async (request: FastifyRequest, reply: FastifyReply) => {
    const model = resolve(request.params as ModelParams);
    return reply.code(model.ready ? 200 : 503).send({ name: model.name, ready: model.ready });
  };
  const readyResponse = { 200: modelReadySchema, 404: errors[404], 503: modelReadySchema };
  app.get('/models/:name/ready', {
    schema: { tags: [TAG], operationId: 'v2ModelReady', summary: 'Model readiness', params: nameParams, response: readyResponse },
    handler: modelReady,
  });
  app.get('/models/:name/versions/:version/ready', {
    schema: { tags: [TAG], operationId: 'v2ModelVersionReady', summary: 'Model readiness of one version', params: versionParams, response: readyResponse },
    handler: modelReady,
  });

  const infer = async (request: FastifyRequest, reply: FastifyReply) => {
    const model = resolve(request.params as ModelParams);
    const { timeoutMs, maxWaitMs } = requestDeadline(request.headers, options);
    const body = request.body as V2Body | undefined;
    const inferRequest = body?.raw === true ? rawBinaryRequest(model.name, model.input, body.binary.length) : parseInferRequest(body);
    const binary = body!.binary;
    const rows = checkRows(decodeInputs(inferRequest, binary, { modelName: model.name, input: model.input, maxRows: options.maxRequestRows }), rowSchemaOf(model));
    const outputs = chooseOutputs(inferRequest, model.output, model.name);
    if (!model.ready) throw new NotReadyError(`model ${model.name} is not ready yet`);

    const { results, modelVersion } = await model.predict(rows, { timeoutMs, maxWaitMs, source: 'v2', requestId: request.id });
    const version = modelVersion ?? model.version;
    const encoded = encodeOutputs(results, outputs, {
      model_name: model.name,
      ...(version === undefined ? {} : { model_version: version }),
      id: inferRequest.id ?? request.id,
    });
    if (version !== undefined) reply.header(MODEL_VERSION_HEADER, version);
    const json = JSON.stringify(encoded.json);
    if (encoded.binary.length === 0) return reply.type('application/json; charset=utf-8').send(json);
    const head = Buffer.from(json, 'utf8');
    return reply
      .header(INFERENCE_HEADER_CONTENT_LENGTH, String(head.length))
      .type('application/octet-stream')
      .send(Buffer.concat([head, ...encoded.binary]));
  };
  const inferSchema = {
    tags: [TAG],
    description:
      'Input tensors named after the model\'s input fields (one per column, as MLServer\'s pandas codec sends them; `[N, n]` for a list field). ' +
      'With the binary tensor extension the body is the JSON request, then the tensors\' bytes, and Inference-Header-Content-Length gives the JSON\'s length. ' +
      'Rows are batched with /predict\'s rows by the same engine.',
    headers: z.looseObject({
      [REQUEST_TIMEOUT_HEADER]: z
        .int()
        .min(1)
        .max(options.maxTimeoutMs)
        .optional()
        .describe('Deadline in milliseconds: rows not sent to the model by then are dropped and answered with 504. A caller that sets it is admitted up to it rather than up to the latency objective'),
      [REQUEST_ID_HEADER]: z.string().max(128).optional().describe('Correlation id; generated when absent, echoed in the response and as the response id when the request has none'),
      [INFERENCE_HEADER_CONTENT_LENGTH]: z.string().optional().describe('Binary tensor extension: length of the JSON part of the body'),
    }),
    body: inferRequestSchema,
    response: { 200: inferResponseSchema, ...errors },
  };
  const refuseEarly = refuseBeforeBody((request) => resolve(request.params as ModelParams), options);
  app.post('/models/:name/infer', {
    schema: { ...inferSchema, operationId: 'v2ModelInfer', summary: 'Inference', params: nameParams },
    onRequest: refuseEarly,
    handler: infer,
  });
  app.post('/models/:name/versions/:version/infer', {
    schema: { ...inferSchema, operationId: 'v2ModelVersionInfer', summary: 'Inference with one version', params: versionParams },
    onRequest: refuseEarly,
    handler: infer,
  });
  await options.routes?.(app);
}

/** Validates the JSON inference header; issues inside an input name it by index and name. */
function parseInferRequest(body: V2Body | undefined): InferRequest {
  if (body === undefined) throw new InvalidJsonError('the request body is empty; send a JSON inference request');
  const parsed = inferRequestSchema.safeParse(body.header);
  if (parsed.success) return parsed.data;
  const header = body.header as { inputs?: unknown } | null;
  const inputs = typeof header === 'object' && header !== null && Array.isArray(header.inputs) ? (header.inputs as unknown[]) : [];
  const issues = parsed.error.issues.flatMap((zodIssue) => {
    const { path } = zodIssue;
    const input = path[0] === 'inputs' && typeof path[1] === 'number' ? (inputs[path[1]] as { name?: unknown } | undefined) : undefined;
    const named = typeof input?.name === 'string' ? input.name : undefined;
    return formatIssues([zodIssue]).map((issue) => (named === undefined ? issue : { field: `${issue.field} (${named})`, reason: issue.reason }));
  });
  throw new ValidationError(issues);
}
