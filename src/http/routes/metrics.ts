import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { z } from 'zod';

/** `GET /metrics` in the Prometheus text format. */
export function metricsRoute(app: FastifyInstance, registry: Registry): void {
  const text = { description: 'Every metric of the gateway in the Prometheus text exposition format 0.0.4', content: { [registry.contentType]: { schema: z.string() } } };
  app.get('/metrics', { schema: { summary: 'Prometheus metrics (text format), labelled by model', operationId: 'metrics', tags: ['metrics'], response: { 200: text } } }, async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}
