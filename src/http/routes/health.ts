import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Readiness } from '../../lifecycle/readiness.js';

const modelReadinessSchema = z.object({
  ready: z.boolean(),
  version: z.string().describe('The version serving now'),
  workersReady: z.int(),
  workers: z.int(),
  reason: z.string().optional(),
});

const readinessSchema = z.object({
  ready: z.boolean(),
  reason: z.string().optional().describe('Why not ready: the first failing model or front door, or shutting down'),
  models: z.record(z.string(), modelReadinessSchema).describe('Every loaded model by name'),
  frontDoors: z.record(z.string(), z.object({ ready: z.boolean(), reason: z.string().optional() })).describe('http, and kafka when consuming'),
});

/** `GET /health/live` (the process answers) and `GET /health/ready` (every model and front door can serve). */
export function healthRoutes(app: FastifyInstance, readiness: () => Readiness): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.get(
    '/health/live',
    { schema: { summary: 'Liveness', operationId: 'healthLive', tags: ['health'], response: { 200: z.object({ live: z.literal(true) }) } } },
    async () => ({ live: true as const }),
  );
  typed.get(
    '/health/ready',
    {
      schema: {
        summary: 'Readiness: 200 once every loaded model has a ready worker and every front door works, 503 otherwise',
        operationId: 'healthReady',
        tags: ['health'],
        response: { 200: readinessSchema, 503: readinessSchema },
      },
    },
    async (_request, reply) => {
      const state = readiness();
      return reply.code(state.ready ? 200 : 503).send(state);
    },
  );
}
