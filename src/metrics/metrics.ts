import type { Counter, Histogram } from 'prom-client';
import type { MetricFamilies } from './metric-families.js';

/** Which front door a request came through. */
export type Source = 'http' | 'v2' | 'kafka';

/** What one model's gauges read at scrape time. */
export interface MetricsProbe {
  queuedRows(): number;
  inFlightBatches(): number;
  readyWorkers(): number;
  /** The batcher's current decisions and what it has learned. */
  batching?(): BatchingProbe;
}

export interface BatchingProbe {
  readonly batchCap: number;
  readonly latencySloMs: number | undefined;
  readonly fixedMs: number | undefined;
  readonly perRowMs: number | undefined;
  readonly objectiveFeasible: boolean | undefined;
}

/**
 * The series one model writes to: the gateway's shared families
 * ({@link MetricFamilies}), which this model labels with its name.
 */
export class GatewayMetrics {
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

  constructor(readonly model: string, families: MetricFamilies) {
    this.requestDuration = families.requestDuration;
    this.queueWait = families.queueWait;
    this.batchRows = families.batchRows;
    this.batchDuration = families.batchDuration;
    this.rowsTotal = families.rowsTotal;
    this.expiredTotal = families.expiredTotal;
    this.shedTotal = families.shedTotal;
    this.workerRestarts = families.workerRestarts;
    this.batchPredicted = families.batchPredicted;
    this.predictionsTotal = families.predictionsTotal;
    this.batchRetries = families.batchRetries;
    this.poisonRows = families.poisonRows;
    this.reloads = families.reloads;
    // Zero-valued series, so dashboards see them before the first event.
    this.workerRestarts.inc({ model }, 0);
    this.expiredTotal.inc({ model }, 0);
  }
}
