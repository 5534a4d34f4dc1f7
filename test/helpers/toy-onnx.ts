import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CENSUS_PYTHON, ROOT } from './paths.js';

/**
 * A model directory holding a toy ONNX graph made by `make_toy_onnx.py` with
 * onnx.helper (from the census model's virtualenv), and a manifest of `manifest`
 * fields beside `runtime` and `artifact`.
 */
export function toyOnnxModel(manifest: Record<string, unknown> = {}, options: { unknownOp?: boolean } = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gw-onnx-toy-'));
  execFileSync(CENSUS_PYTHON, [path.join(ROOT, 'test', 'helpers', 'make_toy_onnx.py'), path.join(dir, 'toy.onnx'), ...(options.unknownOp ? ['--unknown-op'] : [])]);
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ name: 'toy-onnx', version: '1', runtime: 'onnx', artifact: 'toy.onnx', ...manifest }));
  return dir;
}
