import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { PACKAGE_ROOT as ROOT } from '../../src/config/config.js';
import { venvPython } from '../../src/backends/python/prepare-python-model.js';

/** The census model's own `predict(rows)` time for a batch of N rows, in-process (python/bench/model_predict.py). */
export interface RawModelTime {
  readonly n: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly p90Ms: number;
  /** Rows per second one process reaches at this batch size (N / median). */
  readonly rowsPerSec: number;
}

/**
 * Times the model as the worker loads it, with no gateway, HTTP or pipe in
 * between: the floor every system's latency is compared with. Runs in the
 * model's own virtualenv, so `prepareGatewayModel()` must have run.
 */
export function rawModelTime(sizes: readonly number[], repeats: number): RawModelTime[] {
  const python = venvPython(path.join(ROOT, 'models', 'census-income'));
  const result = spawnSync(python, [path.join(ROOT, 'python', 'bench', 'model_predict.py'), '--sizes', sizes.join(',')], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, BENCH_REPEATS: String(repeats), OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`python/bench/model_predict.py failed (${result.status ?? result.signal}):\n${(result.stderr ?? '').split('\n').slice(-15).join('\n')}`);
  const output = JSON.parse(result.stdout) as { measures: { n: number; medianMs: number; minMs: number; p90Ms: number }[] };
  return output.measures.map((m) => ({ ...m, rowsPerSec: Math.round((m.n / m.medianMs) * 1000) }));
}
