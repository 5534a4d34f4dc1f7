import type { Logger } from 'pino';
import type { FrontDoor } from './front-door.js';

/** What shutdown stops: the front doors, in the order they were started, and the models behind them. */
export interface ShutdownTargets {
  readonly frontDoors: readonly FrontDoor[];
  readonly models: {
    /** Refuses new work and resolves once every accepted request is answered. */
    drain(): Promise<void>;
    stop(): Promise<void>;
    kill(): void;
  };
  /** Called first: readiness turns false and HTTP answers close their connections. */
  readonly onDraining: () => void;
  readonly logger: Logger;
}

/**
 * Graceful shutdown, in this order: front doors stop taking work and answer
 * what they took (Kafka commits its records) while the models still serve;
 * the models answer every request accepted (new ones get 503 with
 * `Connection: close`); the listeners close; the workers stop. Resolves
 * `true` when that finished within `graceMs`; otherwise kills the workers,
 * running batches and all, and resolves `false`.
 */
export async function shutdown(targets: ShutdownTargets, graceMs: number): Promise<boolean> {
  const { frontDoors, models } = targets;
  const done = (async () => {
    targets.onDraining();
    for (const door of frontDoors) await door.drain();
    await models.drain();
    for (const door of [...frontDoors].reverse()) await door.close();
    await models.stop();
    return true;
  })();
  let timer: NodeJS.Timeout | undefined;
  const cut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), graceMs);
  });
  const finished = await Promise.race([done, cut]);
  clearTimeout(timer);
  if (!finished) {
    targets.logger.error({ graceMs }, 'shutdown grace period over: stopping workers with work unfinished');
    models.kill();
  }
  return finished;
}
