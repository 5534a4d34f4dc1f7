import { Pool } from 'undici';
import { percentiles, type Percentiles } from './percentiles.js';

export interface OpenLoopOptions {
  readonly url: string;
  readonly path: string;
  readonly bodies: readonly Buffer[];
  /** Offered load: requests started per second, whatever the server answers. */
  readonly ratePerSec: number;
  /** Measured seconds, after `warmupS` unrecorded ones. */
  readonly durationS: number;
  readonly warmupS?: number;
  /** Sockets the client may open; beyond them undici queues, and that wait would count in the latency (see `sentWhileSocketsBusy`). */
  readonly connections?: number;
  /** Requests outstanding before the client stops sending and counts `notSent` (its own limit, not the server's). */
  readonly maxInFlight?: number;
  readonly timeoutMs?: number;
  /** Accepted requests answered within this count towards `okWithinObjective`. */
  readonly objectiveMs?: number;
  /** Length of the windows in `windows` (default: the whole run). */
  readonly windowS?: number;
  /** Called as each window closes (the soak prints progress with it). */
  readonly onWindow?: (window: OpenLoopWindow) => void;
  /** Called once, when the warm-up ends and recording begins (to read the server's own counters then). */
  readonly onMeasureStart?: () => void;
}

/** Counts over one window of scheduled send times. */
export interface OpenLoopWindow {
  readonly index: number;
  readonly startS: number;
  readonly sent: number;
  readonly ok: number;
  readonly refused: number;
  readonly failed: number;
  readonly okLatencyMs: Percentiles;
}

export interface OpenLoopResult {
  readonly ratePerSec: number;
  readonly durationS: number;
  /** Requests scheduled in the measured seconds (sent + notSent). */
  readonly offered: number;
  readonly sent: number;
  readonly notSent: number;
  /** 2xx. */
  readonly ok: number;
  /** 2xx answered within `objectiveMs`. */
  readonly okWithinObjective: number;
  /** 503 and 429: the server said no, quickly or not. */
  readonly refused: number;
  /** Other statuses (4xx, 500, 504). */
  readonly otherNon2xx: number;
  /** No HTTP answer: connection errors and client timeouts. */
  readonly errors: number;
  readonly statusCodes: Record<string, number>;
  /** Goodput: 2xx per second of the measured window. */
  readonly okPerSec: number;
  /** From the moment the request was handed to the client; 2xx only. */
  readonly okLatencyMs: Percentiles;
  /** Time to refuse: the same clock, 503/429 only. */
  readonly refusedLatencyMs: Percentiles;
  /** How late the client sent, against the schedule (its own CPU starvation shows here). */
  readonly sendLagMs: Percentiles;
  /** Requests sent while every socket was busy, so part of their latency was a wait in the client: should be 0. */
  readonly sentWhileSocketsBusy: number;
  readonly windows: readonly OpenLoopWindow[];
  readonly clientCpuPercent: number;
}

interface WindowState {
  sent: number;
  ok: number;
  refused: number;
  failed: number;
  latencies: number[];
}

/**
 * Fixed-rate (open-loop) load: requests start on a schedule, not when the
 * previous answer arrives, so an overloaded server cannot slow the client
 * down and hide its own queueing (autocannon's closed loop would).
 */
export async function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const warmupMs = (options.warmupS ?? 0) * 1000;
  const durationMs = options.durationS * 1000;
  const windowMs = (options.windowS ?? options.durationS) * 1000;
  const maxInFlight = options.maxInFlight ?? 4096;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const objectiveMs = options.objectiveMs ?? Number.POSITIVE_INFINITY;
  const sockets = options.connections ?? 1024;
  const pool = new Pool(options.url, { connections: sockets, pipelining: 1, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const headers = { 'content-type': 'application/json' };

  const windows: WindowState[] = [];
  const refusedLatencies: number[] = [];
  const lags: number[] = [];
  const statusCodes: Record<string, number> = {};
  let notSent = 0;
  let otherNon2xx = 0;
  let errors = 0;
  let okWithinObjective = 0;
  let sentWhileSocketsBusy = 0;
  let inFlight = 0;
  let closedWindows = 0;
  let drained: (() => void) | undefined;

  const windowOf = (index: number): WindowState => {
    while (windows.length <= index) windows.push({ sent: 0, ok: 0, refused: 0, failed: 0, latencies: [] });
    return windows[index]!;
  };
  const summary = (index: number): OpenLoopWindow => {
    const w = windowOf(index);
    return { index, startS: (index * windowMs) / 1000, sent: w.sent, ok: w.ok, refused: w.refused, failed: w.failed, okLatencyMs: percentiles(w.latencies) };
  };

  const send = (i: number, scheduledAt: number, now: number, startAt: number): void => {
    const sinceMeasure = scheduledAt - startAt - warmupMs;
    const recorded = sinceMeasure >= 0 && sinceMeasure < durationMs;
    const window = recorded ? windowOf(Math.floor(sinceMeasure / windowMs)) : undefined;
    if (inFlight >= maxInFlight) {
      if (window) notSent++;
      return;
    }
    if (window) {
      window.sent++;
      lags.push(now - scheduledAt);
      const stats = pool.stats;
      if (stats.free === 0 && stats.connected >= sockets) sentWhileSocketsBusy++;
    }
    inFlight++;
    const sentAt = performance.now();
    pool
      .request({ method: 'POST', path: options.path, headers, body: options.bodies[i % options.bodies.length]! })
      .then(async (response) => {
        await response.body.arrayBuffer();
        const latency = performance.now() - sentAt;
        if (!window) return;
        const code = response.statusCode;
        statusCodes[code] = (statusCodes[code] ?? 0) + 1;
        if (code >= 200 && code < 300) {
          window.ok++;
          window.latencies.push(latency);
          if (latency <= objectiveMs) okWithinObjective++;
        } else if (code === 503 || code === 429) {
          window.refused++;
          refusedLatencies.push(latency);
        } else {
          window.failed++;
          otherNon2xx++;
        }
      })
      .catch(() => {
        if (!window) return;
        window.failed++;
        errors++;
      })
      .finally(() => {
        inFlight--;
        if (inFlight === 0) drained?.();
      });
  };

  const cpuBefore = process.cpuUsage();
  const startAt = performance.now();
  const endAt = startAt + warmupMs + durationMs;
  const total = Math.floor(((warmupMs + durationMs) / 1000) * options.ratePerSec);
  let next = 0;
  let measuring = false;
  await new Promise<void>((resolve) => {
    // A 1 ms timer sends whatever is due, catching up after a late tick, so
    // the offered rate holds even when the timer cannot fire every ms.
    const timer = setInterval(() => {
      const now = performance.now();
      if (!measuring && now - startAt >= warmupMs) {
        measuring = true;
        options.onMeasureStart?.();
      }
      // At the end, everything is due: (endAt - startAt) can come out a hair
      // under warm-up + duration in floating point, and one request short of
      // `total` the loop would never end.
      const due = now >= endAt ? total : Math.min(total, Math.floor(((now - startAt) / 1000) * options.ratePerSec));
      for (; next < due; next++) send(next, startAt + (next / options.ratePerSec) * 1000, now, startAt);
      const measuredMs = now - startAt - warmupMs;
      while (options.onWindow && measuredMs >= (closedWindows + 1) * windowMs && (closedWindows + 1) * windowMs <= durationMs) {
        // Answers still in flight land in the window after it is reported; the final result counts them.
        options.onWindow(summary(closedWindows++));
      }
      if (next >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  if (inFlight > 0) {
    await Promise.race([new Promise<void>((resolve) => (drained = resolve)), new Promise<void>((resolve) => setTimeout(resolve, timeoutMs + 1000))]);
  }
  const cpu = process.cpuUsage(cpuBefore);
  const elapsedMs = performance.now() - startAt;
  await pool.destroy();

  const count = Math.ceil(durationMs / windowMs);
  const all = Array.from({ length: count }, (_, i) => windowOf(i));
  const sum = (key: 'sent' | 'ok' | 'refused'): number => all.reduce((total, w) => total + w[key], 0);
  const ok = sum('ok');
  return {
    ratePerSec: options.ratePerSec,
    durationS: options.durationS,
    offered: sum('sent') + notSent,
    sent: sum('sent'),
    notSent,
    ok,
    okWithinObjective,
    refused: sum('refused'),
    otherNon2xx,
    errors,
    statusCodes,
    okPerSec: Math.round((ok / options.durationS) * 10) / 10,
    okLatencyMs: percentiles(all.flatMap((w) => w.latencies)),
    refusedLatencyMs: percentiles(refusedLatencies),
    sendLagMs: percentiles(lags),
    sentWhileSocketsBusy,
    windows: all.map((_, i) => summary(i)),
    clientCpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / elapsedMs) * 1000) / 10,
  };
}
