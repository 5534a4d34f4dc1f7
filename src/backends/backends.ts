import type { Runtime } from '../model/manifest.js';
import type { ModelBackend } from './model-backend.js';
import { PythonBackend, type PythonBackendOptions } from './python/python-backend.js';

export type BackendOptions = PythonBackendOptions;

/** The backend of every runtime a manifest may name: one entry per folder under `src/backends/`. */
export function createBackends(options: BackendOptions): Readonly<Record<Runtime, ModelBackend>> {
  return Object.freeze({ python: new PythonBackend(options) });
}
