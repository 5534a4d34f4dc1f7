import type { ModelRegistry } from '../registry/model-registry.js';
import type { ModelReadiness } from '../registry/served-model.js';
import type { FrontDoor, FrontDoorHealth } from './front-door.js';

/** What `GET /health/ready` answers. */
export interface Readiness {
  readonly ready: boolean;
  /** Why not, when not. */
  readonly reason?: string;
  readonly models: Readonly<Record<string, ModelReadiness>>;
  readonly frontDoors: Readonly<Record<string, FrontDoorHealth>>;
}

export interface ReadinessSources {
  readonly registry: Pick<ModelRegistry, 'readiness'>;
  readonly frontDoors: () => readonly FrontDoor[];
  readonly draining: () => boolean;
}

/**
 * The gateway is ready when it is not shutting down, every front door works
 * (a Kafka consumer whose stream died is not) and every loaded model has a
 * ready worker — Triton's strict readiness: a load balancer should not send
 * traffic to an instance that would refuse part of it. Each model's own
 * state is in the answer (and in `/v2/models/{name}/ready`).
 */
export function readiness(sources: ReadinessSources): Readiness {
  const models = sources.registry.readiness();
  const frontDoors = Object.fromEntries(sources.frontDoors().map((door) => [door.name, door.health()]));
  const reason = notReadyBecause(sources.draining(), models, frontDoors);
  return { ready: reason === undefined, ...(reason === undefined ? {} : { reason }), models, frontDoors };
}

function notReadyBecause(draining: boolean, models: Readiness['models'], frontDoors: Readiness['frontDoors']): string | undefined {
  if (draining) return 'shutting down';
  for (const [name, health] of Object.entries(frontDoors)) if (!health.ready) return `${name}: ${health.reason ?? 'not ready'}`;
  if (Object.keys(models).length === 0) return 'no model is loaded';
  for (const [name, model] of Object.entries(models)) if (!model.ready) return `${name}: ${model.reason ?? 'not ready'}`;
  return undefined;
}
