import type { BatchingResult } from '../scenarios/batching.js';
import type { LowLoadResult } from '../scenarios/low-load.js';
import type { OverloadRun } from '../scenarios/overload.js';
import type { OverloadBatchedResult } from '../scenarios/overload-batched.js';
import type { PeakRun } from '../scenarios/peak.js';
import type { MlserverTuningRun } from '../scenarios/mlserver-tuning.js';
import type { RobustnessResult } from '../scenarios/objective-robustness.js';
import type { machine } from './results.js';

/** Everything one `npm run bench` measured: bench/results/<date>.json. */
export interface RunResult {
  readonly date: string;
  readonly command: string;
  readonly machine: ReturnType<typeof machine> & { readonly python: string };
  /** 1, 5 and 15-minute load averages before the first scenario and after the last. */
  readonly loadAverage: { readonly before: readonly number[]; readonly after: readonly number[] };
  readonly model: string;
  /** The objective the overload scenario holds accepted requests to (the gateway's --latency-slo-ms). */
  readonly objectiveMs: number;
  readonly durationS: number;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly peak?: readonly PeakRun[];
  readonly lowLoad?: LowLoadResult;
  readonly overload?: readonly OverloadRun[];
  /** Past capacity: multi-row requests at twice their own closed loop's goodput. */
  readonly overloadBatched?: OverloadBatchedResult;
  readonly batching?: BatchingResult;
  /** The same, for the ONNX export on worker threads (gateway-onnx), with the cap the cost model chose. */
  readonly batchingOnnx?: BatchingResult;
  readonly mlserverTuning?: readonly MlserverTuningRun[];
  /** busy-machine and slow-model: goodput with the objective against without. */
  readonly robustness?: readonly RobustnessResult[];
  /** Scenarios from other files (bench/kafka.ts, bench/worker-efficiency.ts): their own result, or why they did not run. */
  readonly extra: Readonly<Record<string, unknown>>;
}
