import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ServerProcessOptions {
  /** Shown in progress lines and errors, e.g. `mlserver`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Answers 200 once the server can take traffic. */
  readonly readyUrl: string;
  readonly readyTimeoutMs?: number;
  /** Copy the server's output to our stderr as it comes (default: only kept for errors). */
  readonly echo?: boolean;
}

/** A server the benchmark started, in a process group of its own. */
export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  /** Every non-empty line the server wrote, stdout and stderr interleaved. */
  readonly logLines: readonly string[];
  /** The last `n` lines, for error messages. */
  logTail(n?: number): string;
  /** SIGTERM to the server, then SIGKILL to its whole group (at once if it exited, else after `graceMs`); resolves with how the server ended. */
  stop(graceMs?: number): Promise<string>;
}

const live = new Set<ChildProcess>();
let hooked = false;

/**
 * Kills every server still running when the benchmark exits, however it
 * exits: Ctrl-C (the scripts turn SIGINT into process.exit), an uncaught
 * error, or the end of main(). The whole process group goes, because MLServer
 * and uvicorn run their workers as children of the server process.
 */
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const child of live) killGroup(child, 'SIGKILL');
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal === null ? `exit ${code}` : `signal ${signal}`;
}

/** Starts a server and resolves once `readyUrl` answers 200; rejects with its log tail if it exits or never gets ready. */
export async function startServer(options: ServerProcessOptions): Promise<ServerProcess> {
  hookExit();
  // detached: a process group of its own, so stop() reaches the workers the server forked.
  const child = spawn(options.command, [...options.args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  live.add(child);
  const logLines: string[] = [];
  let partial = '';
  const collect = (chunk: Buffer): void => {
    if (options.echo) process.stderr.write(chunk);
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') logLines.push(line);
    // A server that logs per request must not grow our memory without bound.
    if (logLines.length > 5000) logLines.splice(0, logLines.length - 2000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const logTail = (n = 20): string => [...logLines, partial].filter((l) => l.trim() !== '').slice(-n).join('\n');

  let exitedAs: string | undefined;
  let spawnError: Error | undefined;
  const ended = new Promise<string>((resolve) => {
    child.once('error', (error) => {
      spawnError = error;
      exitedAs = `not started: ${error.message}`;
      live.delete(child);
      resolve(exitedAs);
    });
    child.once('exit', (code, signal) => {
      exitedAs = describeExit(code, signal);
      live.delete(child);
      resolve(exitedAs);
    });
  });

  const stop = async (graceMs = 10_000): Promise<string> => {
    if (exitedAs === undefined) {
      // The server itself stops its workers in order; the group kill below is for stragglers.
      child.kill('SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
      await ended;
      clearTimeout(timer);
    }
    // The leader may be gone while a worker it forked lingers.
    killGroup(child, 'SIGKILL');
    return exitedAs!;
  };

  const timeoutMs = options.readyTimeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exitedAs !== undefined) {
      const why = spawnError ? `could not be started (${spawnError.message})` : `exited before it was ready (${exitedAs})`;
      throw new Error(`${options.name}: ${options.command} ${why}; its last output:\n${logTail()}`);
    }
    try {
      const response = await fetch(options.readyUrl, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === 200) return { name: options.name, pid: child.pid!, logLines, logTail, stop };
    } catch {
      // Not listening yet.
    }
    await sleep(250);
  }
  await stop(2000);
  throw new Error(`${options.name}: not ready within ${timeoutMs} ms (${options.readyUrl}); its last output:\n${logTail()}`);
}
