import { spawn, type ChildProcess } from 'node:child_process';

/** CPU-burning child processes: a noisy neighbour a test starts and always stops. */
export interface CpuHogs {
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface CpuHogOptions {
  /**
   * Each hog in a session of its own, as a program someone else started. Linux
   * with autogroup (the default on most distributions, and here) shares the
   * CPU between sessions first and between threads only within one: hogs in
   * the caller's session compete with the caller alone, and a process started
   * in a session of its own (a benchmark's gateway) hardly notices them.
   */
  readonly ownSession?: boolean;
}

/**
 * Starts `count` processes that each spin one core, for at most `maxMs`
 * (they exit by themselves then, even if this process dies without stopping them).
 */
export function startCpuHogs(count: number, maxMs = 10 * 60_000, options: CpuHogOptions = {}): CpuHogs {
  const children = Array.from({ length: count }, () => {
    const child = spawn(process.execPath, ['-e', `const end = Date.now() + ${maxMs}; while (Date.now() < end) {}`], { stdio: 'ignore', detached: options.ownSession === true });
    live.add(child);
    child.once('exit', () => live.delete(child));
    return child;
  });
  return {
    pids: children.flatMap((c) => (c.pid === undefined ? [] : [c.pid])),
    async stop() {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGKILL');
            }),
        ),
      );
    },
  };
}
