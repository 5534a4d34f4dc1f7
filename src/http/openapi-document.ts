import type { GatewayConfig } from '../config/config.js';
import type { Logger } from 'pino';
import { MetricFamilies } from '../metrics/metric-families.js';
import { documentOnlyModels } from './document-only-models.js';
import { buildServer } from './server.js';

/** An admin token that documents the admin routes; it never appears in the document. */
const DOCUMENTING_TOKEN = 'documenting-only-not-a-secret';

/**
 * The OpenAPI document the gateway would serve for `config`, built without
 * starting a model: what `npm run openapi` writes for client generators.
 * The admin and repository routes are included whether or not a token is set.
 */
export async function openApiDocument(config: GatewayConfig, logger: Logger): Promise<Record<string, unknown>> {
  const app = await buildServer({
    config: { ...config, adminToken: config.adminToken ?? DOCUMENTING_TOKEN },
    models: documentOnlyModels(config.defaultModel),
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
