import type { Row } from '../../../src/model/row-schema.js';

export const SYSTEM_NAMES = ['gateway', 'gateway-v2', 'gateway-onnx', 'mlserver', 'naive', 'ceiling'] as const;
export type SystemName = (typeof SYSTEM_NAMES)[number];

/** One of the systems under test, started and ready for traffic. */
export interface RunningSystem {
  readonly name: SystemName;
  /** e.g. `http://127.0.0.1:43121` */
  readonly url: string;
  /** The route that predicts, e.g. `/predict` or MLServer's `/v2/models/census-income/infer`. */
  readonly path: string;
  /** The server process (the gateway's Node process, MLServer's or uvicorn's main process). */
  readonly pid: number;
  /** Request body for these rows, in the system's own protocol. */
  body(rows: readonly Row[]): Buffer;
  /** What the system was started with, recorded beside its figures. */
  readonly settings: Readonly<Record<string, unknown>>;
  logTail(n?: number): string;
  stop(): Promise<string>;
}

/** The rows as consecutive requests of `rowsPerRequest` rows each, in the system's own protocol (a remainder is left out). */
export function requestBodies(system: Pick<RunningSystem, 'body'>, rows: readonly Row[], rowsPerRequest: number): Buffer[] {
  const bodies: Buffer[] = [];
  for (let i = 0; i + rowsPerRequest <= rows.length; i += rowsPerRequest) bodies.push(system.body(rows.slice(i, i + rowsPerRequest)));
  return bodies;
}

/** Environment of a Python peer: one BLAS/OpenMP thread per process, as the gateway gives its workers. */
export function singleThreadedEnv(): NodeJS.ProcessEnv {
  return { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1', PYTHONUNBUFFERED: '1' };
}
