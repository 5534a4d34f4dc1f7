import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ValidationError } from '../../errors.js';
import { formatIssues } from '../../format-issues.js';
import type { ModelRegistry } from '../../registry/model-registry.js';
import { requireAdminToken } from '../admin-auth.js';
import { toGatewayError } from '../error-handler.js';
import { httpStatusOf } from '../http-status.js';
import { parseJsonBody } from '../json-body.js';

export interface RepositoryRouteOptions {
  readonly token: string;
  readonly registry: Pick<ModelRegistry, 'index' | 'load' | 'unload'>;
  readonly bodyLimit: number;
}

/** The Open Inference Protocol's error body. */
const v2ErrorSchema = z.object({ error: z.string() });
const stateSchema = z.enum(['READY', 'LOADING', 'UNLOADING', 'UNAVAILABLE']);
const indexEntrySchema = z.object({ name: z.string(), version: z.string().optional(), state: stateSchema, reason: z.string().optional() });
const indexRequestSchema = z.object({ ready: z.boolean().optional().describe('true: only the models that are READY') }).nullish();
const loadRequestSchema = z.object({ parameters: z.record(z.string(), z.unknown()).optional() }).nullish();
const loadAnswerSchema = z.object({
  name: z.string(),
  version: z.string(),
  action: z.enum(['loaded', 'reloaded']),
  previousVersion: z.string().optional(),
  durationMs: z.int(),
});
const unloadAnswerSchema = z.object({ name: z.string(), state: z.literal('UNAVAILABLE') });
const nameParams = z.object({ name: z.string().describe('The model: its directory name in the repository') });
const errors = {
  400: v2ErrorSchema.describe('Invalid request'),
  401: v2ErrorSchema.describe('The admin token is missing or wrong'),
  404: v2ErrorSchema.describe('The repository holds no such model (load) or it is not loaded (unload)'),
  409: v2ErrorSchema.describe('A load or unload of this model is in progress'),
  422: v2ErrorSchema.describe('The model did not start; a reloaded model keeps its old version serving'),
};

/**
 * The Open Inference Protocol's model repository extension, behind the admin
 * token: list the repository, load (or blue/green reload) a model, unload
 * one. Errors are the protocol's `{"error": "..."}`, with the status of
 * their code. Bodies are optional and may come without a content type, as
 * tritonclient sends them.
 */
export function repositoryRoutes(app: FastifyInstance, options: RepositoryRouteOptions): void {
  const { registry } = options;
  void app.register(async (scope) => {
    scope.addHook('onRequest', requireAdminToken(options.token));
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
      try {
        done(null, (body as Buffer).length === 0 ? undefined : parseJsonBody(request, body as Buffer));
      } catch (error) {
        done(error as Error, undefined);
      }
    });
    scope.setErrorHandler((error, request, reply) => {
      const gatewayError = toGatewayError(error, options.bodyLimit);
      const status = httpStatusOf(gatewayError);
      if (status >= 500) request.log.error({ err: error, code: gatewayError.code }, gatewayError.message);
      else request.log.debug({ code: gatewayError.code }, gatewayError.message);
      if (gatewayError.retryAfterSeconds !== undefined) reply.header('retry-after', String(gatewayError.retryAfterSeconds));
      return reply.code(status).send({ error: gatewayError.message });
    });
    const validate = (schema: z.ZodType) => () => (value: unknown) => {
      const parsed = schema.safeParse(value);
      return parsed.success ? { value: parsed.data } : { error: new ValidationError(formatIssues(parsed.error.issues)) };
    };
    const typed = scope.withTypeProvider<ZodTypeProvider>();
    const security = [{ bearer: [] }];
    const tags = ['model repository'];
    typed.post(
      '/v2/repository/index',
      {
        schema: { summary: 'Every model of the repository with its state (and why it is not READY)', operationId: 'repositoryIndex', tags, security, body: indexRequestSchema, response: { 200: z.array(indexEntrySchema), ...errors } },
        validatorCompiler: validate(indexRequestSchema),
      },
      async (request) => {
        const entries = await registry.index();
        return request.body?.ready === true ? entries.filter((entry) => entry.state === 'READY') : entries;
      },
    );
    typed.post(
      '/v2/repository/models/:name/load',
      {
        schema: {
          summary: 'Load a model of the repository; a loaded one is reloaded blue/green (new workers first, no request fails)',
          operationId: 'repositoryLoad',
          tags,
          security,
          params: nameParams,
          body: loadRequestSchema,
          response: { 200: loadAnswerSchema, ...errors },
        },
        validatorCompiler: ({ httpPart }) => (httpPart === 'body' ? validate(loadRequestSchema)() : (value: unknown) => ({ value })),
      },
      async (request) => {
        const outcome = await registry.load(request.params.name);
        return outcome.action === 'loaded'
          ? { name: outcome.model, version: outcome.version, action: outcome.action, durationMs: Math.round(outcome.durationMs) }
          : { name: outcome.model, version: outcome.version, action: outcome.action, previousVersion: outcome.previousVersion, durationMs: Math.round(outcome.durationMs) };
      },
    );
    typed.post(
      '/v2/repository/models/:name/unload',
      {
        schema: {
          summary: 'Unload a model: later requests get 404 at once, accepted ones are answered, then its workers stop',
          operationId: 'repositoryUnload',
          tags,
          security,
          params: nameParams,
          body: loadRequestSchema,
          response: { 200: unloadAnswerSchema, ...errors },
        },
        validatorCompiler: ({ httpPart }) => (httpPart === 'body' ? validate(loadRequestSchema)() : (value: unknown) => ({ value })),
      },
      async (request) => {
        await registry.unload(request.params.name);
        return { name: request.params.name, state: 'UNAVAILABLE' as const };
      },
    );
  });
}
