import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

export interface Readiness {
  readonly ready: boolean;
  readonly workersReady: number;
  readonly workers: number;
  /** The model version serving now. */
  readonly version?: string;
  readonly reason?: string;
}

const readinessSchema = z.object({
  ready: z.boolean(),
  workersReady: z.int(),
  workers: z.int(),
  version: z.string().optional(),
  reason: z.string().optional(),
});

/** `GET /health/live` (the process answers) and `GET /health/ready` (a worker can take a batch). */
export function healthRoutes(app: FastifyInstance, readiness: () => Readiness): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.get('/health/live', { schema: { summary: 'Liveness', response: { 200: z.object({ live: z.literal(true) }) } } }, async () => ({ live: true as const }));
  typed.get(
    '/health/ready',
    { schema: { summary: 'Readiness: 200 once at least one worker answers, 503 otherwise', response: { 200: readinessSchema, 503: readinessSchema } } },
    async (_request, reply) => {
      const state = readiness();
      return reply.code(state.ready ? 200 : 503).send(state);
    },
  );
}
