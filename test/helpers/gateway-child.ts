import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ROOT } from './paths.js';

/** One JSON log line of the gateway. */
export interface LogLine {
  readonly msg?: string;
  readonly [field: string]: unknown;
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** The gateway's own CLI (`src/main.ts`, through tsx: no build needed) running as a child process, as a user would run it. */
export interface GatewayChild {
  /** Where it serves HTTP, when it does. */
  readonly url: string | undefined;
  readonly process: ChildProcess;
  /** Every JSON line it logged so far. */
  readonly lines: readonly LogLine[];
  /** Resolves once the process has exited. */
  readonly exited: Promise<ProcessExit>;
  /** Every line it wrote to stderr so far (an unexpected exit says why there). */
  readonly stderr: readonly string[];
}

export interface GatewayChildOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** The log line that means it is ready; default: the line carrying the URL it serves on. */
  readonly readyWhen?: (line: LogLine) => boolean;
  readonly readyTimeoutMs?: number;
}

const servesHttp = (line: LogLine): boolean => typeof line.url === 'string';

/** Starts `src/main.ts` with `args` (JSON logs on a pipe) and resolves once it logs that it is ready. */
export async function startGatewayChild(args: readonly string[], options: GatewayChildOptions = {}): Promise<GatewayChild> {
  const readyWhen = options.readyWhen ?? servesHttp;
  const readyTimeoutMs = options.readyTimeoutMs ?? 90_000;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_FORMAT: 'json', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const stderr: string[] = [];
  const exited = new Promise<ProcessExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // A failed test must not leave a gateway and its workers behind.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));

  let url: string | undefined;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway not ready after ${readyTimeoutMs} ms; stderr: ${stderr.slice(-20).join('\n')}`)), readyTimeoutMs);
    createInterface({ input: child.stdout! }).on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        return;
      }
      lines.push(line);
      if (servesHttp(line)) url = line.url as string;
      if (readyWhen(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code ?? signal}) before it was ready; stderr: ${stderr.slice(-20).join('\n')}; last lines: ${JSON.stringify(lines.slice(-5))}`));
    });
  });
  return { url, process: child, lines, exited, stderr };
}
