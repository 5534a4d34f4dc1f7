import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/config.js';
import type { Engine } from '../engine/engine.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import { clientErrorHandler, errorHandler, notFoundHandler } from './error-handler.js';
import { acceptOnlyJson } from './json-body.js';
import { predictSchemas } from './predict-schemas.js';
import { REQUEST_ID_HEADER, requestId } from './request-id.js';
import type { LiveModel } from '../serving/live-model.js';
import { adminRoutes } from './routes/admin.js';
import { healthRoutes, type Readiness } from './routes/health.js';
import { metricsRoute } from './routes/metrics.js';
import { predictRoute } from './routes/predict.js';

export interface ServerOptions {
  readonly config: GatewayConfig;
  readonly engine: Engine;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly readiness: () => Readiness;
  /** True once the gateway is shutting down: every response then closes its connection. */
  readonly draining?: () => boolean;
  /** The served model, for the admin endpoints (off without `config.adminToken`). */
  readonly model?: LiveModel;
}

/** The HTTP front door: a thin adapter from Fastify to the engine. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const { config, engine, metrics } = options;
  const { manifest } = config.model;
  const logger: FastifyBaseLogger = options.logger;
  const app = Fastify({
    loggerInstance: logger,
    genReqId: requestId,
    // Per-request lines would be above debug on the hot path; onResponse logs at debug instead.
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    return503OnClosing: true,
    clientErrorHandler,
  });
  acceptOnlyJson(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler(config.bodyLimitBytes));
  app.setNotFoundHandler(notFoundHandler);

  const draining = options.draining ?? (() => false);
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    if (draining()) reply.header('connection', 'close');
  });
  // An access line per request only at debug: otherwise the hook is not even installed.
  if (options.logger.isLevelEnabled('debug')) {
    app.addHook('onResponse', async (request, reply) => {
      request.log.debug({ method: request.method, url: request.url, statusCode: reply.statusCode, ms: reply.elapsedTime }, 'request completed');
    });
  }

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The admin token (--admin-token)' } } },
      info: {
        title: `Inference gateway: ${manifest.name}`,
        version: manifest.version,
        description: manifest.description,
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  predictRoute(app, {
    engine,
    schemas: predictSchemas(config.model, { maxRequestRows: config.maxRequestRows, maxTimeoutMs: config.requestTimeoutMs * 10 }),
    defaultTimeoutMs: config.requestTimeoutMs,
    modelName: manifest.name,
    modelVersion: manifest.version,
  });
  healthRoutes(app, options.readiness);
  if (config.adminToken !== undefined && options.model !== undefined) adminRoutes(app, { token: config.adminToken, engine, model: options.model });
  metricsRoute(app, metrics.registry);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  return app;
}
