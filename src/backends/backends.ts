import type { Runtime } from '../model/manifest.js';
import type { ModelBackend } from './model-backend.js';
import { OnnxBackend } from './onnx/onnx-backend.js';
import { PythonBackend, type PythonBackendOptions } from './python/python-backend.js';

export interface BackendOptions extends PythonBackendOptions {
  /** The ONNX backend's thread module, for tests that wrap it. */
  readonly onnxThreadModule?: URL;
}

/** The backend of every runtime a manifest may name: one entry per folder under `src/backends/`. */
export function createBackends(options: BackendOptions): Readonly<Record<Runtime, ModelBackend>> {
  const python = new PythonBackend(options);
  const onnx = new OnnxBackend({ python, workerStartTimeoutMs: options.workerStartTimeoutMs, ...(options.onnxThreadModule === undefined ? {} : { threadModule: options.onnxThreadModule }) });
  return Object.freeze({ python, onnx });
}
