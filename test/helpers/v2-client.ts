import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Row } from '../../src/model/row-schema.js';
import { CENSUS_PYTHON, ROOT } from './paths.js';

/** What `v2_client.py` prints: the real tritonclient's view of a V2 server. */
export interface V2ClientReport {
  readonly live: boolean;
  readonly ready: boolean;
  readonly model_ready: boolean;
  readonly server_metadata: { name: string; version: string; extensions: string[] };
  readonly metadata: { name: string; versions?: string[]; platform: string; inputs: { name: string; datatype: string; shape: number[] }[]; outputs: { name: string; datatype: string; shape: number[] }[] };
  /** Output name → flat values, from an inference with JSON tensors both ways. */
  readonly json: Record<string, unknown[]>;
  readonly json_id: string;
  /** The same from an inference with the client's defaults (binary inputs and outputs). */
  readonly binary: Record<string, unknown[]>;
  readonly binary_sizes: Record<string, number | undefined>;
  /** What the client raised for an input the model does not have. */
  readonly error: { message: string; status: string } | null;
}

/**
 * Runs `tritonclient.http` (installed in the model virtualenv from
 * python/requirements-dev.txt) against a V2 server at `hostPort`, sending
 * `rows` to `model` as one tensor per input.
 */
export function runV2Client(hostPort: string, model: string, rows: readonly Row[]): Promise<V2ClientReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(CENSUS_PYTHON, [path.join(ROOT, 'test', 'helpers', 'v2_client.py'), hostPort, model], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) reject(new Error(`v2_client.py exited with ${code}: ${stderr}`));
      else resolve(JSON.parse(stdout) as V2ClientReport);
    });
    child.stdin.end(JSON.stringify(rows));
  });
}
