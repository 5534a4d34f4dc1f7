import { Counter, Gauge, type Registry } from 'prom-client';

/** What the in-flight gauge reads at scrape time. */
export interface KafkaProbe {
  readonly inFlight: number;
}

/**
 * The Kafka front door's own series, beside the engine's (which already count
 * its rows and requests under `source="kafka"`). Records are labelled by the
 * model that answered them (`unknown` for a `model` header naming none); the
 * rest belong to the one consumer all models share.
 */
export class KafkaMetrics {
  readonly #records: Counter<'model' | 'outcome'>;
  readonly #deliveries: Counter<'outcome'>;
  readonly #paused: Gauge;
  #probe: KafkaProbe | undefined;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#records = new Counter({ name: 'gateway_kafka_records_total', help: 'Kafka records answered, by model and outcome (ok, dead_letter, expired: its deadline-ms passed, not predicted)', labelNames: ['model', 'outcome'], registers });
    this.#deliveries = new Counter({ name: 'gateway_kafka_deliveries_total', help: 'Produce-and-commit rounds (one transaction each with --exactly-once), by outcome', labelNames: ['outcome'], registers });
    this.#paused = new Gauge({ name: 'gateway_kafka_paused', help: '1 while consumption is paused for backpressure', registers });
    const probe = (): KafkaProbe | undefined => this.#probe;
    new Gauge({
      name: 'gateway_kafka_in_flight_records',
      help: 'Records taken from Kafka and not yet answered and committed',
      registers,
      collect() {
        this.set(probe()?.inFlight ?? 0);
      },
    });
    this.#paused.set(0);
  }

  watch(probe: KafkaProbe): void {
    this.#probe = probe;
  }

  answered(outcome: 'ok' | 'dead_letter' | 'expired', model: string): void {
    this.#records.inc({ model, outcome });
  }

  delivered(outcome: 'ok' | 'failed'): void {
    this.#deliveries.inc({ outcome });
  }

  paused(paused: boolean): void {
    this.#paused.set(paused ? 1 : 0);
  }
}
