import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { GATEWAY_VERSION, type GatewayConfig } from '../config/config.js';
import type { Readiness } from '../lifecycle/readiness.js';
import type { Manifest } from '../model/manifest.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import type { PredictingModel } from '../registry/predicting-model.js';
import { BadHttpRequestError, MethodNotAllowedError, NotFoundError } from '../errors.js';
import { answerExpectationFailed, clientErrorHandler, errorHandler, notFoundHandler } from './error-handler.js';
import { acceptOnlyJson } from './json-body.js';
import { documentOnlyModels } from './document-only-models.js';
import { LiveOpenApi } from './live-openapi.js';
import { createSchemaRegistry, registerOpenApi } from './openapi.js';
import { REQUEST_ID_HEADER, requestId } from './request-id.js';
import { RouteMethods } from './route-methods.js';
import { adminRoutes } from './routes/admin.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoute } from './routes/metrics.js';
import { predictRoutes } from './routes/predict.js';
import { repositoryRoutes } from './routes/repository.js';
import { registerV2Routes } from '../v2/v2-routes.js';

/** The registry as the HTTP routes use it. */
export type HttpModels = Pick<ModelRegistry<PredictingModel>, 'resolve' | 'index' | 'load' | 'unload' | 'get' | 'list' | 'live' | 'ready'>;

export interface ServerOptions {
  readonly config: GatewayConfig;
  readonly models: HttpModels;
  /** The models documented in the OpenAPI document at start-up, each under its own path (see {@link LiveOpenApi} for later changes). */
  readonly documented: readonly Manifest[];
  readonly metrics: Registry;
  readonly logger: Logger;
  readonly readiness: () => Readiness;
  /** True once the gateway is shutting down: every response then closes its connection. */
  readonly draining?: () => boolean;
}

/** The HTTP front door's server: thin routes over the registry's models. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const { config, models } = options;
  const logger: FastifyBaseLogger = options.logger;
  const app = Fastify({
    loggerInstance: logger,
    genReqId: requestId,
    // Per-request lines would be above debug on the hot path; onResponse logs at debug instead.
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    // A request (headers and body) not received within bodyTimeoutMs is answered 408 by clientErrorHandler.
    // Node checks this every connectionsCheckingInterval (30 s by default), so the check runs often enough to keep the deadline.
    requestTimeout: config.bodyTimeoutMs,
    http: {
      requestTimeout: config.bodyTimeoutMs,
      headersTimeout: Math.min(60_000, config.bodyTimeoutMs),
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.round(config.bodyTimeoutMs / 10))),
      // Node would answer a missing Host with an empty 400: the onRequest hook below answers it in the JSON error shape.
      requireHostHeader: false,
    },
    return503OnClosing: true,
    clientErrorHandler,
  });
  acceptOnlyJson(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler(config.bodyLimitBytes, options.draining));
  app.setNotFoundHandler(notFoundHandler);

  // Node answers `Expect:` other than 100-continue with an empty 417 unless someone listens.
  app.server.on('checkExpectation', answerExpectationFailed);

  const routes = new RouteMethods();
  app.addHook('onRoute', (route) => routes.add(route.method, route.url));
  const draining = options.draining ?? (() => false);
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    if (draining()) reply.header('connection', 'close');
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      throw new BadHttpRequestError('the Host header is required in HTTP/1.1 (RFC 9112 §3.2)', 'malformed');
    }
    // Answered before any body is read, whatever the method: a known path with another method is 405 with Allow.
    if (request.is404) {
      const path = request.url.split('?')[0]!;
      const allow = routes.allowed(path);
      throw allow.length > 0 ? new MethodNotAllowedError(request.method, path, allow) : new NotFoundError(`no route ${request.method} ${path}`);
    }
  });
  // An access line per request only at debug: otherwise the hook is not even installed.
  if (options.logger.isLevelEnabled('debug')) {
    app.addHook('onResponse', async (request, reply) => {
      request.log.debug({ method: request.method, url: request.url, statusCode: reply.statusCode, ms: reply.elapsedTime }, 'request completed');
    });
  }

  const components = createSchemaRegistry();
  const names = options.documented.map((model) => `${model.name} ${model.version}`).join(', ');
  await registerOpenApi(app, components, {
    title: 'Inference gateway',
    version: GATEWAY_VERSION,
    description: `Serves ${names}. /predict is the default model, ${config.defaultModel}; /models/{name}/predict any loaded model.`,
    tags: [
      ...options.documented.map((model) => ({ name: model.name, description: `${model.name} ${model.version}: ${model.description}` })),
      { name: 'v2', description: 'The Open Inference Protocol (KServe V2): server and model metadata, readiness, inference with tensors' },
      { name: 'health', description: 'Liveness and readiness for load balancers and orchestrators' },
      { name: 'metrics', description: 'Prometheus metrics' },
      ...(config.adminToken === undefined
        ? []
        : [
            { name: 'admin', description: 'Tune batching and reload models while serving (Authorization: Bearer <admin token>)' },
            { name: 'model repository', description: 'The model repository: list, load and unload models (Authorization: Bearer <admin token>)' },
          ]),
    ],
    admin: config.adminToken !== undefined,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  const deadline = { defaultTimeoutMs: config.requestTimeoutMs, maxTimeoutMs: config.requestTimeoutMs * 10 };
  predictRoutes(app, { models, documented: options.documented, defaultModel: config.defaultModel, maxRequestRows: config.maxRequestRows, components, ...deadline });
  // The Open Inference Protocol over the same models and engines (source="v2" in the metrics).
  await registerV2Routes(app, {
    models,
    serverName: 'inference-gateway',
    serverVersion: GATEWAY_VERSION,
    ...(config.adminToken === undefined ? {} : { extensions: ['model_repository'] }),
    maxRequestRows: config.maxRequestRows,
    components,
    ...deadline,
  });
  healthRoutes(app, options.readiness);
  if (config.adminToken !== undefined) {
    adminRoutes(app, { token: config.adminToken, models });
    repositoryRoutes(app, { token: config.adminToken, registry: models, bodyLimit: config.bodyLimitBytes });
  }
  metricsRoute(app, options.metrics);
  const openApi = new LiveOpenApi(options.documented, () => app.swagger(), async (manifests) => {
    const documenting = await buildServer({ ...options, models: documentOnlyModels(config.defaultModel), documented: manifests });
    try {
      await documenting.ready();
      return documenting.swagger();
    } finally {
      await documenting.close();
    }
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => openApi.document(models.list().map((model) => model.manifest)));

  return app;
}
