import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ReplyMatch } from './pending-replies.js';

const ROUND_TRIP_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30];

/** What the gauges read at scrape time. */
export interface ForwardProbe {
  readonly pendingRows: number;
  readonly ready: boolean;
}

/**
 * A forwarding front end's own series, beside the per-model ones every
 * gateway has (`gateway_request_duration_seconds{source="http"}` …, written
 * by each forwarded model as by a local one).
 */
export class ForwardMetrics {
  readonly #replies: Counter<'outcome'>;
  readonly #retries: Counter;
  readonly #roundTrip: Histogram<'model'>;
  #probe: ForwardProbe | undefined;

  constructor(registry: Registry) {
    const registers = [registry];
    const probe = (): ForwardProbe | undefined => this.#probe;
    this.#replies = new Counter({
      name: 'gateway_forward_replies_total',
      help: 'Replies read from this front end\'s reply topic, by outcome: matched (answered a waiting caller), late (its caller\'s deadline had passed), unmatched (a duplicate, at-least-once, or not ours)',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['matched', 'late', 'unmatched'] as const) this.#replies.inc({ outcome }, 0);
    this.#retries = new Counter({ name: 'gateway_forward_retries_total', help: 'Rows sent again (to another partition) because their reply had not come within --forward-retry-ms', registers });
    this.#roundTrip = new Histogram({
      name: 'gateway_forward_round_trip_seconds',
      help: 'Time from producing a row to the input topic to reading its reply',
      labelNames: ['model'],
      buckets: ROUND_TRIP_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'gateway_forward_in_flight_rows',
      help: 'Rows forwarded to the worker instances and awaiting their reply',
      registers,
      collect() {
        this.set(probe()?.pendingRows ?? 0);
      },
    });
    new Gauge({
      name: 'gateway_forward_ready',
      help: '1 while the broker answers and the reply topic is consumed',
      registers,
      collect() {
        this.set(probe()?.ready === true ? 1 : 0);
      },
    });
  }

  watch(probe: ForwardProbe): void {
    this.#probe = probe;
  }

  replied(outcome: ReplyMatch): void {
    this.#replies.inc({ outcome });
  }

  retried(): void {
    this.#retries.inc();
  }

  roundTrip(model: string, seconds: number): void {
    this.#roundTrip.observe({ model }, seconds);
  }
}
