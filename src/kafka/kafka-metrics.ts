import { Counter, Gauge, type Registry } from 'prom-client';

/** What the in-flight gauge reads at scrape time. */
export interface KafkaProbe {
  readonly inFlight: number;
}

/**
 * The Kafka front door's own series, beside the engine's (which already count
 * its rows and requests under `source="kafka"`).
 */
export class KafkaMetrics {
  readonly #model: string;
  readonly #records: Counter<'model' | 'outcome'>;
  readonly #deliveries: Counter<'model' | 'outcome'>;
  readonly #paused: Gauge<'model'>;
  #probe: KafkaProbe | undefined;

  constructor(model: string, registry: Registry) {
    const registers = [registry];
    this.#model = model;
    this.#records = new Counter({ name: 'gateway_kafka_records_total', help: 'Kafka records answered, by outcome (ok, dead_letter)', labelNames: ['model', 'outcome'], registers });
    this.#deliveries = new Counter({ name: 'gateway_kafka_deliveries_total', help: 'Produce-and-commit rounds (one transaction each with --exactly-once), by outcome', labelNames: ['model', 'outcome'], registers });
    this.#paused = new Gauge({ name: 'gateway_kafka_paused', help: '1 while consumption is paused for backpressure', labelNames: ['model'], registers });
    const probe = (): KafkaProbe | undefined => this.#probe;
    new Gauge({
      name: 'gateway_kafka_in_flight_records',
      help: 'Records taken from Kafka and not yet answered and committed',
      labelNames: ['model'],
      registers,
      collect() {
        this.set({ model }, probe()?.inFlight ?? 0);
      },
    });
    this.#paused.set({ model }, 0);
  }

  watch(probe: KafkaProbe): void {
    this.#probe = probe;
  }

  answered(outcome: 'ok' | 'dead_letter'): void {
    this.#records.inc({ model: this.#model, outcome });
  }

  delivered(outcome: 'ok' | 'failed'): void {
    this.#deliveries.inc({ model: this.#model, outcome });
  }

  paused(paused: boolean): void {
    this.#paused.set({ model: this.#model }, paused ? 1 : 0);
  }
}
