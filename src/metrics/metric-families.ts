import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { GatewayMetrics, type BatchingProbe, type MetricsProbe } from './metrics.js';

const LATENCY_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30];
const ROW_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192];

/**
 * Every Prometheus series the gateway exports, in one registry, labelled by
 * model: each served model writes through its own {@link GatewayMetrics}
 * view. Gauges are read from each model's probe when scraped rather than
 * updated on the hot path; an unloaded model's gauges disappear.
 */
export class MetricFamilies {
  readonly registry = new Registry();
  readonly requestDuration: Histogram<'model' | 'source' | 'code'>;
  readonly queueWait: Histogram<'model'>;
  readonly batchRows: Histogram<'model'>;
  readonly batchDuration: Histogram<'model' | 'outcome'>;
  readonly rowsTotal: Counter<'model' | 'source'>;
  readonly expiredTotal: Counter<'model'>;
  readonly shedTotal: Counter<'model' | 'reason'>;
  readonly workerRestarts: Counter<'model'>;
  readonly batchPredicted: Histogram<'model'>;
  readonly predictionsTotal: Counter<'model' | 'version'>;
  readonly batchRetries: Counter<'model' | 'reason'>;
  readonly poisonRows: Counter<'model' | 'code'>;
  readonly reloads: Counter<'model' | 'outcome'>;
  readonly batchesOverBudget: Counter<'model' | 'reason'>;

  readonly #probes = new Map<string, MetricsProbe>();
  readonly #views = new Map<string, GatewayMetrics>();

  constructor() {
    const registers = [this.registry];
    const probes = this.#probes;
    // Each gauge lists the models loaded at scrape time, read through their probes.
    const perModel = (read: (probe: MetricsProbe) => number | undefined) =>
      function collect(this: Gauge<'model'>): void {
        this.reset();
        for (const [model, probe] of probes) {
          const value = read(probe);
          if (value !== undefined) this.set({ model }, value);
        }
      };
    // Node's and the process's own metrics, under the names Prometheus's conventions give them (gateway_process_cpu_seconds_total, gateway_nodejs_eventloop_lag_seconds).
    collectDefaultMetrics({ register: this.registry, prefix: 'gateway_' });
    // Gauges must not end in _total (promtool check metrics); each is the sum of the per-type gauge of the same name without it.
    for (const name of ['gateway_nodejs_active_handles_total', 'gateway_nodejs_active_requests_total', 'gateway_nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    this.requestDuration = new Histogram({
      name: 'gateway_request_duration_seconds',
      help: 'Time from accepting a prediction request to its answer',
      labelNames: ['model', 'source', 'code'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.queueWait = new Histogram({
      name: 'gateway_queue_wait_seconds',
      help: 'Time a request waited in the queue before its first rows went to a worker',
      labelNames: ['model'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.batchRows = new Histogram({
      name: 'gateway_batch_rows',
      help: 'Rows per batch sent to a worker',
      labelNames: ['model'],
      buckets: ROW_BUCKETS,
      registers,
    });
    this.batchDuration = new Histogram({
      name: 'gateway_batch_duration_seconds',
      help: 'Round trip of one batch through a worker',
      labelNames: ['model', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.batchPredicted = new Histogram({
      name: 'gateway_batch_predicted_seconds',
      help: 'Round trip of one batch as predicted by the learned cost model at dispatch (compare with gateway_batch_duration_seconds)',
      labelNames: ['model'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.predictionsTotal = new Counter({ name: 'gateway_predictions_total', help: 'Rows predicted, by the model version that answered', labelNames: ['model', 'version'], registers });
    this.batchRetries = new Counter({ name: 'gateway_batch_retried_rows_total', help: 'Rows of failed batches run again (split in halves), by why the batch failed', labelNames: ['model', 'reason'], registers });
    this.poisonRows = new Counter({ name: 'gateway_poison_rows_total', help: 'Rows refused because on their own they fail, crash or hang the model', labelNames: ['model', 'code'], registers });
    this.reloads = new Counter({ name: 'gateway_model_reloads_total', help: 'Model reloads, by outcome (ok, or failed with the old version still serving)', labelNames: ['model', 'outcome'], registers });
    this.batchesOverBudget = new Counter({
      name: 'gateway_batches_over_objective_budget_total',
      help:
        'Batches sent although the learned cost predicts them longer than half the latency objective (the batch cap\'s budget), by why: ' +
        'amortising (the queue went out whole to amortise the fixed cost, trading the objective for throughput) or infeasible (the objective reads infeasible, see gateway_latency_objective_feasible: batches sized for throughput)',
      labelNames: ['model', 'reason'],
      registers,
    });
    this.rowsTotal = new Counter({ name: 'gateway_rows_total', help: 'Rows accepted for prediction', labelNames: ['model', 'source'], registers });
    this.expiredTotal = new Counter({ name: 'gateway_expired_requests_total', help: 'Requests whose deadline passed before they reached the model', labelNames: ['model'], registers });
    this.shedTotal = new Counter({ name: 'gateway_shed_requests_total', help: 'Requests refused at admission', labelNames: ['model', 'reason'], registers });
    this.workerRestarts = new Counter({ name: 'gateway_worker_restarts_total', help: 'Python workers restarted after they exited', labelNames: ['model'], registers });
    new Gauge({ name: 'gateway_queue_depth_rows', help: 'Rows waiting for a worker', labelNames: ['model'], registers, collect: perModel((p) => p.queuedRows()) });
    new Gauge({ name: 'gateway_batches_in_flight', help: 'Batches sent to workers and not yet answered', labelNames: ['model'], registers, collect: perModel((p) => p.inFlightBatches()) });
    new Gauge({ name: 'gateway_workers_ready', help: 'Workers ready for batches', labelNames: ['model'], registers, collect: perModel((p) => p.readyWorkers()) });
    new Gauge({
      name: 'gateway_worker_memory_bytes',
      help: 'Resident memory one worker holds (ONNX: the growth of the process while one thread loaded its session); times gateway_workers_ready for the pool',
      labelNames: ['model'],
      registers,
      collect: perModel((p) => p.workerMemoryBytes?.()),
    });
    const batching = (read: (b: BatchingProbe) => number | undefined) => perModel((p) => (p.batching ? read(p.batching()) : undefined));
    const gauge = (name: string, help: string, read: (b: BatchingProbe) => number | undefined): void => {
      new Gauge({ name, help, labelNames: ['model'], registers, collect: batching(read) });
    };
    gauge('gateway_batch_rows_cap', 'Most rows the next batch may hold (max batch rows, lowered to fit the latency objective, never below the rows that amortise the fixed cost)', (b) => b.batchCap);
    gauge('gateway_latency_objective_seconds', 'The latency objective admission and batch sizing aim for', (b) => (b.latencySloMs === undefined ? undefined : b.latencySloMs / 1000));
    gauge(
      'gateway_latency_objective_feasible',
      'Whether the learned cost lets a one-row batch fit in half the latency objective and the batches that fit there keep half the throughput of full ones (0: batching for throughput, the objective only bounds queueing)',
      (b) => (b.objectiveFeasible === undefined ? undefined : Number(b.objectiveFeasible)),
    );
    gauge('gateway_batch_cost_fixed_seconds', 'Learned fixed cost of one batch (cost = fixed + per_row x rows)', (b) => (b.fixedMs === undefined ? undefined : b.fixedMs / 1000));
    gauge('gateway_batch_cost_per_row_seconds', 'Learned cost of one more row in a batch', (b) => (b.perRowMs === undefined ? undefined : b.perRowMs / 1000));
    gauge(
      'gateway_batch_cost_slow_margin_seconds',
      'How much longer than the learned cost the slow batches run (the 95th percentile of the scatter about it); admission plans the queue with cost plus this',
      (b) => (b.slowMarginMs === undefined ? undefined : b.slowMarginMs / 1000),
    );
  }

  /** The series a newly loaded model writes to; its gauges read `probe` from now on. */
  forModel(model: string, probe: MetricsProbe): GatewayMetrics {
    const view = new GatewayMetrics(model, this);
    this.#probes.set(model, probe);
    this.#views.set(model, view);
    return view;
  }

  /** An unloaded model (this view of it, not a newer load of the same name): its gauges stop reporting; its counters keep their totals. */
  removeModel(view: GatewayMetrics): void {
    if (this.#views.get(view.model) !== view) return;
    this.#probes.delete(view.model);
    this.#views.delete(view.model);
  }
}
