import { Pool } from 'undici';
import type { Row } from '../../src/model/row-schema.js';
import { startGatewayChild, type GatewayChild } from './gateway-child.js';
import { kafkaBrokers } from './kafka.js';
import { CENSUS_MODEL_DIR } from './paths.js';

/** The topics and group one scale-out deployment shares. */
export interface Deployment {
  readonly input: string;
  readonly output: string;
  readonly dlq: string;
  readonly group: string;
}

/** A process of the deployment: a worker instance or a front end, with HTTP for its /metrics (and, for a front end, its API). */
export interface Instance {
  readonly child: GatewayChild;
  readonly url: string;
  readonly http: Pool;
  metrics(): Promise<string>;
  /** SIGTERM (or `signal`) and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

function kafkaArgs(d: Deployment): string[] {
  return ['--kafka-brokers', kafkaBrokers(), '--kafka-input-topic', d.input, '--kafka-output-topic', d.output, '--kafka-dlq-topic', d.dlq, '--kafka-group-id', d.group, '--model', CENSUS_MODEL_DIR, '--port', '0'];
}

async function instance(args: readonly string[]): Promise<Instance> {
  const child = await startGatewayChild(args, { readyTimeoutMs: 120_000 });
  const url = child.url!;
  const http = new Pool(url, { connections: 64 });
  let stopped: Promise<void> | undefined;
  return {
    child,
    url,
    http,
    async metrics() {
      const response = await http.request({ method: 'GET', path: '/metrics' });
      return response.body.text();
    },
    stop(signal = 'SIGTERM') {
      stopped ??= (async () => {
        if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill(signal);
        await child.exited;
        await http.close();
      })();
      return stopped;
    },
  };
}

/**
 * A worker instance: the Kafka front door in the consumer group, with one
 * Python worker, plus HTTP on a free port for its /metrics. Debug logs, so
 * each record's log line (with its `requestId`) can be checked.
 */
export function startWorkerInstance(d: Deployment, extra: readonly string[] = []): Promise<Instance> {
  // The Kafka path is under test, not the engine's latency objective.
  return instance([...kafkaArgs(d), '--no-prepare', '--workers', '1', '--latency-slo-ms', '3600000', '--log-level', 'debug', ...extra]);
}

/** A forwarding front end: HTTP in, the deployment's input topic out, its own reply topic. */
export function startFrontEnd(d: Deployment, extra: readonly string[] = []): Promise<Instance> {
  return instance([...kafkaArgs(d), '--forward-to-kafka', '--log-level', 'info', ...extra]);
}

/** The sum of a series over the lines whose labels include every one of `labels` (`name{a="b"} 3`). */
export function metricSum(text: string, name: string, labels: readonly string[] = []): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!labels.every((label) => line.includes(label))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly ms: number;
}

/** POSTs one row to `/predict` and times the answer. */
export async function predictOne(http: Pool, row: Row, headers: Record<string, string> = {}): Promise<Answer> {
  const started = performance.now();
  const response = await http.request({ method: 'POST', path: '/predict', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(row) });
  const text = await response.body.text();
  return { status: response.statusCode, body: JSON.parse(text) as unknown, ms: performance.now() - started };
}

/** Sends every row as its own request, `concurrency` at a time; answers in row order. */
export async function predictEach(http: Pool, rows: readonly Row[], concurrency: number): Promise<Answer[]> {
  const answers: Answer[] = new Array(rows.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < rows.length) {
        const i = next++;
        answers[i] = await predictOne(http, rows[i]!);
      }
    }),
  );
  return answers;
}

/** The p-th percentile (0-100) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}
