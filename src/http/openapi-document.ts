import type { GatewayConfig } from '../config/config.js';
import { ModelNotFoundError } from '../errors.js';
import type { Logger } from 'pino';
import { MetricFamilies } from '../metrics/metric-families.js';
import { buildServer } from './server.js';

/** An admin token that documents the admin routes; it never appears in the document. */
const DOCUMENTING_TOKEN = 'documenting-only-not-a-secret';

/**
 * The OpenAPI document the gateway would serve for `config`, built without
 * starting a model: what `npm run openapi` writes for client generators.
 * The admin and repository routes are included whether or not a token is set.
 */
export async function openApiDocument(config: GatewayConfig, logger: Logger): Promise<Record<string, unknown>> {
  const nothingLoaded = (name: string | undefined): never => {
    throw new ModelNotFoundError(name ?? config.defaultModel);
  };
  const app = await buildServer({
    config: { ...config, adminToken: config.adminToken ?? DOCUMENTING_TOKEN },
    models: {
      resolve: nothingLoaded,
      index: async () => [],
      load: async (name) => nothingLoaded(name),
      unload: async (name) => nothingLoaded(name),
      get: () => undefined,
      list: () => [],
      live: () => true,
      ready: () => false,
    },
    documented: config.models.map(({ spec }) => spec.manifest),
    metrics: new MetricFamilies().registry,
    readiness: () => ({ ready: false, reason: 'documenting', models: {}, frontDoors: {} }),
    logger,
  });
  try {
    await app.ready();
    return app.swagger() as unknown as Record<string, unknown>;
  } finally {
    await app.close();
  }
}
