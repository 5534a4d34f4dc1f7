import { Client } from 'undici';
import { percentiles, type Percentiles } from './percentiles.js';

export interface SequentialOptions {
  readonly url: string;
  readonly path: string;
  readonly bodies: readonly Buffer[];
  readonly durationS: number;
  /** Unrecorded requests first. */
  readonly warmupRequests?: number;
}

export interface SequentialResult {
  readonly requests: number;
  readonly reqPerSec: number;
  /** Client-side round trip of 2xx responses, measured with performance.now() (sub-millisecond). */
  readonly latencyMs: Percentiles;
  readonly failures: number;
  readonly statusCodes: Record<string, number>;
}

/**
 * One keep-alive connection, one request at a time: the low-load case, where
 * a request never waits for another. autocannon reports whole milliseconds,
 * too coarse for a 1 ms objective, hence this loop.
 */
export async function sequentialLoad(options: SequentialOptions): Promise<SequentialResult> {
  const client = new Client(options.url, { pipelining: 1 });
  const headers = { 'content-type': 'application/json' };
  const statusCodes: Record<string, number> = {};
  const samples: number[] = [];
  let failures = 0;
  let i = 0;
  const once = async (record: boolean): Promise<void> => {
    const body = options.bodies[i++ % options.bodies.length]!;
    const start = performance.now();
    try {
      const response = await client.request({ method: 'POST', path: options.path, headers, body });
      await response.body.arrayBuffer();
      const elapsed = performance.now() - start;
      if (!record) return;
      statusCodes[response.statusCode] = (statusCodes[response.statusCode] ?? 0) + 1;
      if (response.statusCode >= 200 && response.statusCode < 300) samples.push(elapsed);
      else failures++;
    } catch {
      if (record) failures++;
    }
  };
  try {
    for (let w = 0; w < (options.warmupRequests ?? 50); w++) await once(false);
    const started = performance.now();
    const until = started + options.durationS * 1000;
    let requests = 0;
    while (performance.now() < until) {
      await once(true);
      requests++;
    }
    const elapsedS = (performance.now() - started) / 1000;
    return { requests, reqPerSec: Math.round((requests / elapsedS) * 10) / 10, latencyMs: percentiles(samples), failures, statusCodes };
  } finally {
    await client.close();
  }
}
