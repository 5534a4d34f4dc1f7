import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/config.js';
import { HttpFrontDoor } from '../http/http-front-door.js';
import { buildServer, type HttpModels } from '../http/server.js';
import type { MetricFamilies } from '../metrics/metric-families.js';
import type { FrontDoor } from './front-door.js';
import { readiness, type ReadinessSources } from './readiness.js';
import { shutdown, type ShutdownTargets } from './shutdown.js';

export interface OpenFrontDoorsOptions {
  readonly config: GatewayConfig;
  /** The models the front doors serve: routed by HTTP, asked for readiness, drained and stopped at shutdown. */
  readonly registry: HttpModels & ReadinessSources['registry'] & ShutdownTargets['models'];
  readonly metrics: MetricFamilies;
  readonly logger: Logger;
  /** Started before HTTP (the forwarder HTTP hands requests to). */
  readonly before?: readonly FrontDoor[];
  /** Whether HTTP is served (`--no-http` turns it off). */
  readonly http: boolean;
  /** Started after HTTP (the Kafka front door). */
  readonly after?: readonly FrontDoor[];
}

export interface OpenFrontDoors {
  readonly http: HttpFrontDoor | undefined;
  /** In the order they were started. */
  readonly frontDoors: readonly FrontDoor[];
  /** Graceful shutdown of the doors and then the models (see {@link shutdown}). */
  close(graceMs: number): Promise<boolean>;
}

/**
 * The front doors of one gateway process over its registry, started in
 * order: a door that cannot start closes the ones already open and stops the
 * models, so a failed start leaves nothing running. Readiness and the
 * draining state are wired here once for every role (local gateway,
 * forwarding front end).
 */
export async function openFrontDoors(options: OpenFrontDoorsOptions): Promise<OpenFrontDoors> {
  const { config, registry, logger } = options;
  let draining = false;
  const frontDoors: FrontDoor[] = [...(options.before ?? [])];
  const http = options.http
    ? new HttpFrontDoor(
        await buildServer({
          config,
          models: registry,
          documented: config.models.map(({ spec }) => spec.manifest),
          metrics: options.metrics.registry,
          readiness: () => readiness({ registry, frontDoors: () => frontDoors, draining: () => draining }),
          draining: () => draining,
          logger: logger.child({ component: 'http' }),
        }),
        { host: config.host, port: config.port },
      )
    : undefined;
  if (http) frontDoors.push(http);
  frontDoors.push(...(options.after ?? []));
  try {
    for (const door of frontDoors) await door.start();
  } catch (error) {
    for (const door of frontDoors) await door.close().catch(() => undefined);
    await registry.stop();
    throw error;
  }
  return {
    http,
    frontDoors,
    close: (graceMs) =>
      shutdown(
        {
          frontDoors,
          models: registry,
          onDraining: () => {
            draining = true;
          },
          logger,
        },
        graceMs,
      ),
  };
}
