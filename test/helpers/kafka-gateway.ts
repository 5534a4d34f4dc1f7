import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './paths.js';
import { until } from './kafka.js';

/** One JSON log line of the gateway. */
export interface LogLine {
  readonly msg?: string;
  readonly partitions?: number[];
  readonly answered?: number;
  readonly [field: string]: unknown;
}

/** A gateway running from source as its own process, Kafka-only (`--no-http`), so it can be SIGKILLed. */
export interface GatewayChild {
  readonly pid: number;
  readonly lines: readonly LogLine[];
  /** Resolves with how the process ended. */
  readonly exited: Promise<string>;
  kill(signal: NodeJS.Signals): void;
  /** The partitions of its latest assignment. */
  partitions(): number[];
}

const MAIN = path.join(ROOT, 'src', 'main.ts');

/**
 * Starts `src/main.ts` (through tsx, so no build is needed) with `args` and
 * resolves once it consumes. Its log is JSON on a pipe; every line is kept.
 */
export async function startGatewayChild(args: readonly string[], readyTimeoutMs = 90_000): Promise<GatewayChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--no-http', '--no-prepare', '--workers', '1', '--log-level', 'info', ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const stderr: string[] = [];
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const part of parts) {
      try {
        lines.push(JSON.parse(part) as LogLine);
      } catch {
        stderr.push(part);
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  let ended: string | undefined;
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => {
      ended = signal === null ? `exit ${code}` : `signal ${signal}`;
      resolve(ended);
    }),
  );
  // A failed test must not leave a gateway and its workers behind.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));

  await until(
    () => ended !== undefined || lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('consuming ')),
    readyTimeoutMs,
    () => `gateway did not start consuming:\n${stderr.join('').slice(-2000)}`,
  );
  if (ended !== undefined) throw new Error(`gateway exited (${ended}) before consuming:\n${stderr.join('').slice(-2000)}\n${JSON.stringify(lines.slice(-5))}`);
  return {
    pid: child.pid ?? -1,
    lines,
    exited,
    kill: (signal) => child.kill(signal),
    partitions: () => [...lines].reverse().find((l) => l.msg === 'partitions assigned')?.partitions ?? [],
  };
}
