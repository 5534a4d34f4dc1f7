import { startGatewayChild as startChild, type LogLine } from './gateway-child.js';

/** A Kafka-only gateway (`--no-http`) in its own process, so it can be SIGKILLed. */
export interface GatewayChild {
  readonly pid: number;
  readonly lines: readonly (LogLine & { readonly partitions?: number[]; readonly answered?: number })[];
  /** Resolves with how the process ended: `exit <code>` or `signal <name>`. */
  readonly exited: Promise<string>;
  kill(signal: NodeJS.Signals): void;
  /** The partitions of its latest assignment. */
  partitions(): number[];
}

/** Starts a Kafka-only gateway with one worker and resolves once it consumes. */
export async function startGatewayChild(args: readonly string[], readyTimeoutMs = 90_000): Promise<GatewayChild> {
  const child = await startChild(['--no-http', '--no-prepare', '--workers', '1', '--log-level', 'info', ...args], {
    readyWhen: (line) => typeof line.msg === 'string' && line.msg.startsWith('consuming '),
    readyTimeoutMs,
  });
  const lines = child.lines as GatewayChild['lines'];
  return {
    pid: child.process.pid ?? -1,
    lines,
    exited: child.exited.then(({ code, signal }) => (signal === null ? `exit ${code}` : `signal ${signal}`)),
    kill: (signal) => child.process.kill(signal),
    partitions: () => [...lines].reverse().find((l) => l.msg === 'partitions assigned')?.partitions ?? [],
  };
}
