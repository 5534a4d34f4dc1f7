import type { MetricFamilies } from './metric-families.js';

/** Which front door a request came through. */
export type Source = 'http' | 'v2' | 'kafka';

/** What one model's gauges read at scrape time. */
export interface MetricsProbe {
  queuedRows(): number;
  inFlightBatches(): number;
  readyWorkers(): number;
  /** Resident memory one worker holds, when its pool measures it. */
  workerMemoryBytes?(): number | undefined;
  /** The batcher's current decisions and what it has learned. */
  batching?(): BatchingProbe;
}

export interface BatchingProbe {
  readonly batchCap: number;
  readonly latencySloMs: number | undefined;
  readonly fixedMs: number | undefined;
  readonly perRowMs: number | undefined;
  readonly slowMarginMs: number | undefined;
  readonly objectiveFeasible: boolean | undefined;
}

/** The series a model writes to: the gateway's shared families, labelled with the model's name. */
const SERIES = [
  'requestDuration', 'queueWait', 'batchRows', 'batchDuration', 'rowsTotal', 'expiredTotal', 'shedTotal',
  'workerRestarts', 'batchPredicted', 'predictionsTotal', 'batchRetries', 'poisonRows', 'reloads', 'batchesOverBudget',
] as const satisfies readonly (keyof MetricFamilies)[];

/** The fields are the families' own ({@link MetricFamilies}), declared once there. */
export interface GatewayMetrics extends Pick<MetricFamilies, (typeof SERIES)[number]> {}

/** One model's view of the gateway's series ({@link MetricFamilies}). */
export class GatewayMetrics {
  constructor(readonly model: string, families: MetricFamilies) {
    for (const name of SERIES) Object.assign(this, { [name]: families[name] });
    // Zero-valued series, so dashboards see them before the first event.
    this.workerRestarts.inc({ model }, 0);
    this.expiredTotal.inc({ model }, 0);
    for (const reason of ['amortising', 'infeasible']) this.batchesOverBudget.inc({ model, reason }, 0);
  }
}
