import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Result, Row } from '../../src/model/row-schema.js';
import { PYTHON_DIR, ROOT } from './paths.js';

/** Predictions for `rows` computed in-process by the model's own handler (one Python call, no gateway). */
export function referencePredictions(python: string, modelDir: string, rows: readonly Row[]): Promise<Result[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [path.join(ROOT, 'test', 'helpers', 'reference_predictions.py'), modelDir], {
      env: { ...process.env, PYTHONPATH: PYTHON_DIR },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) reject(new Error(`reference_predictions.py exited with ${code}: ${Buffer.concat(err).toString()}`));
      else resolve(JSON.parse(Buffer.concat(out).toString()) as Result[]);
    });
    child.stdin.end(JSON.stringify(rows));
  });
}
