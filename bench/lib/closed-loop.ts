import autocannon, { type AutocannonClient, type AutocannonRequest } from 'autocannon';

export interface ClosedLoopOptions {
  /** Base URL of the server. */
  readonly url: string;
  readonly path: string;
  /** Distinct request bodies, spread over the connections. */
  readonly bodies: readonly Buffer[];
  readonly connections: number;
  readonly durationS: number;
  /** Seconds before a request counts as a timeout (autocannon's default: 10). */
  readonly timeoutS?: number;
}

/** What a closed-loop run measured; latencies are autocannon's, in whole milliseconds, over 2xx responses. */
export interface ClosedLoopResult {
  readonly connections: number;
  readonly durationS: number;
  readonly requests: number;
  /** Responses of any status per second (mean of the per-second samples). */
  readonly reqPerSec: number;
  /** 2xx responses per second: the throughput that counts (a gateway shedding with 503 answers fast but serves nothing). */
  readonly okPerSec: number;
  readonly reqPerSecStddev: number;
  readonly latencyMs: { readonly mean: number; readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly statusCodes: Record<string, number>;
  /** CPU the load generator itself used, % of one core (it shares the machine with the server). */
  readonly clientCpuPercent: number;
}

/**
 * Connection i cycles through its own slice of the bodies, so concurrent
 * requests differ and all of them are sent. Slices stay small on purpose:
 * autocannon serialises every static request of a connection when it is set
 * up, on the same event loop that times the responses, and 64 connections ×
 * 1000 rows stalled the first responses by ~700 ms. A setupRequest function
 * would instead rebuild the request every time.
 */
export function slicedClients(bodies: readonly Buffer[], connections: number, path = '/predict'): (client: AutocannonClient) => void {
  const headers = { 'content-type': 'application/json' };
  const size = Math.max(1, Math.floor(bodies.length / connections));
  let next = 0;
  return (client) => {
    const start = (next++ * size) % bodies.length;
    const requests: AutocannonRequest[] = [];
    for (let i = 0; i < size; i++) requests.push({ method: 'POST', path, headers, body: bodies[(start + i) % bodies.length]! });
    client.setRequests(requests);
  };
}

/** `connections` clients, each sending its next request as soon as the previous one is answered (autocannon). */
export async function closedLoop(options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await autocannon({
    url: `${options.url}${options.path}`,
    connections: options.connections,
    duration: options.durationS,
    timeout: options.timeoutS ?? 10,
    setupClient: slicedClients(options.bodies, options.connections, options.path),
  });
  const cpu = process.cpuUsage(cpuBefore);
  const elapsedMs = performance.now() - started;
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]));
  const ok = Object.entries(statusCodes).reduce((sum, [code, count]) => (code.startsWith('2') ? sum + count : sum), 0);
  return {
    connections: options.connections,
    durationS: result.duration,
    requests: result.requests.total,
    reqPerSec: result.requests.mean,
    okPerSec: Math.round((ok / result.duration) * 10) / 10,
    reqPerSecStddev: result.requests.stddev,
    latencyMs: { mean: result.latency.mean, p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes,
    clientCpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / elapsedMs) * 1000) / 10,
  };
}
