import type { Logger } from 'pino';

/** How long a step may print nothing before the log says it is still running. */
export const HEARTBEAT_MS = 10_000;

/**
 * Logs "still running: <what> (N s so far)" whenever a long step (pip installing,
 * a model training) has printed nothing for {@link HEARTBEAT_MS}: a silent
 * minute at start-up looks like a hang. Call `output()` on each line the step
 * prints and `stop()` when it ends.
 */
export function quietStepHeartbeat(logger: Logger, what: string, now: () => number = Date.now): { output(): void; stop(): void } {
  const startedAt = now();
  let lastOutput = startedAt;
  const timer = setInterval(() => {
    if (now() - lastOutput < HEARTBEAT_MS) return;
    lastOutput = now();
    logger.info({ elapsedS: Math.round((lastOutput - startedAt) / 1000) }, `still running: ${what} (${Math.round((lastOutput - startedAt) / 1000)} s so far)`);
  }, HEARTBEAT_MS / 2);
  timer.unref();
  return {
    output: () => {
      lastOutput = now();
    },
    stop: () => clearInterval(timer),
  };
}
