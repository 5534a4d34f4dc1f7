import type { Runtime } from '../model/manifest.js';

/**
 * The model metadata's `platform` for a runtime: the Open Inference
 * Protocol's platform names where it has one (`onnxruntime_onnx`, as Triton
 * reports an ONNX Runtime model), else the runtime's own name (`python`).
 */
export function v2Platform(runtime: Runtime): string {
  return runtime === 'onnx' ? 'onnxruntime_onnx' : runtime;
}
