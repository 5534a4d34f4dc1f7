import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { errorHandler, notFoundHandler } from '../../src/http/error-handler.js';
import { acceptOnlyJson } from '../../src/http/json-body.js';
import { createSchemaRegistry, registerOpenApi } from '../../src/http/openapi.js';
import { REQUEST_ID_HEADER, requestId } from '../../src/http/request-id.js';
import { registerV2Routes, type V2RouteOptions } from '../../src/v2/v2-routes.js';
import { rowSchemaWithLists } from './fake-v2-models.js';

export const TEST_BODY_LIMIT = 64 * 1024;

/**
 * A server set up as `src/http/server.ts` sets up the gateway's (request
 * ids, JSON-only bodies, the gateway's error handler, OpenAPI), with one
 * JSON route of its own to show that the V2 scope leaves the others alone,
 * and the V2 routes over the given models.
 */
export async function buildV2App(options: Partial<V2RouteOptions> & Pick<V2RouteOptions, 'models'>): Promise<FastifyInstance> {
  const app = Fastify({ genReqId: requestId, bodyLimit: TEST_BODY_LIMIT });
  acceptOnlyJson(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler(TEST_BODY_LIMIT));
  app.setNotFoundHandler(notFoundHandler);
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  // The gateway's own OpenAPI pipeline (its components registry), so the document is the one it serves.
  const components = createSchemaRegistry();
  await registerOpenApi(app, components, { title: 'test', version: '0', description: 'test', tags: [{ name: 'v2', description: 'Open Inference Protocol' }], admin: false });
  app.post('/echo', async (request) => request.body);
  await registerV2Routes(app, {
    serverName: 'inference-gateway',
    serverVersion: '0.1.0',
    defaultTimeoutMs: 1000,
    maxTimeoutMs: 10_000,
    maxRequestRows: 100,
    rowSchema: rowSchemaWithLists,
    components,
    ...options,
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.ready();
  return app;
}
