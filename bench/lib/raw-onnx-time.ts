import path from 'node:path';
import { encodeInputs } from '../../src/backends/onnx/row-tensors.js';
import { PACKAGE_ROOT as ROOT } from '../../src/config/config.js';
import { artifactPath, loadModelSpec } from '../../src/model/manifest.js';
import { bindOnnx } from '../../src/model/onnx-binding.js';
import { readGraphSignature } from '../../src/model/onnx-signature.js';
import type { Row } from '../../src/model/row-schema.js';
import type { RawModelTime } from './raw-model-time.js';

export const CENSUS_ONNX_DIR = path.join(ROOT, 'models', 'census-income-onnx');

/**
 * The census ONNX model's own `session.run` time for a batch of N rows, in
 * this process, one intra-op thread (as the gateway's threads run it), a
 * different slice of rows each call: the floor the gateway-onnx figures are
 * compared with. Tensors are built outside the timed call, as the row
 * mapping is part of the gateway's share.
 */
export async function rawOnnxTime(sizes: readonly number[], repeats: number, rows: readonly Row[]): Promise<RawModelTime[]> {
  const ort = await import('onnxruntime-node');
  const spec = await loadModelSpec(CENSUS_ONNX_DIR);
  const { binding } = bindOnnx(spec.manifest.onnx, spec.manifest.input, spec.manifest.output, await readGraphSignature(artifactPath(spec)!));
  const session = await ort.InferenceSession.create(artifactPath(spec)!, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  const fetches = [...new Set(binding.outputs.map((o) => o.tensor))];
  const measures: RawModelTime[] = [];
  try {
    for (const n of sizes) {
      const times: number[] = [];
      const calls = Math.max(5, Math.min(repeats, Math.ceil((repeats * 8) / n)));
      for (let i = 0; i < calls + 2; i++) {
        const start = (i * n) % Math.max(1, rows.length - n);
        const batch = Array.from({ length: n }, (_, j) => rows[(start + j) % rows.length]!);
        const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
        for (const [name, t] of Object.entries(encodeInputs(binding, batch))) feeds[name] = new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
        const began = performance.now();
        await session.run(feeds, fetches);
        // The first two calls warm the session up.
        if (i >= 2) times.push(performance.now() - began);
      }
      times.sort((a, b) => a - b);
      const at = (q: number): number => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))]! * 1000) / 1000;
      const medianMs = at(0.5);
      measures.push({ n, medianMs, minMs: at(0), p90Ms: at(0.9), rowsPerSec: Math.round((n / medianMs) * 1000) });
    }
  } finally {
    await session.release();
  }
  return measures;
}
