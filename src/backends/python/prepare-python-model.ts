import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { PrepareError } from '../../errors.js';
import { artifactPath, type ModelSpec } from '../../model/manifest.js';
import { joinPythonPath } from './python-worker.js';
import { quietStepHeartbeat } from './quiet-step-heartbeat.js';

export interface PrepareOptions {
  readonly spec: ModelSpec;
  /** Python that creates the virtualenv. */
  readonly python: string;
  /**
   * The folder of the gateway's own Python package (`gateway_worker`): its
   * `requirements.txt` goes into the virtualenv, and the package is on the
   * PYTHONPATH of the model's `train` script.
   */
  readonly pythonDir: string;
  /** More requirement files, e.g. the test tools. */
  readonly extraRequirements?: readonly string[];
  /** A Python environment the user manages: no virtualenv is created or changed. */
  readonly workerPython?: string | undefined;
  readonly logger: Logger;
}

/** The Python of the virtualenv that `preparePythonModel` makes in a model directory. */
export function venvPython(modelDir: string): string {
  return path.join(modelDir, '.venv', 'bin', 'python');
}

const STAMP_FILE = '.gateway-installed';

/**
 * Makes a model directory runnable, idempotently: a virtualenv at
 * `<model>/.venv` holding the worker's and the model's requirements, and the
 * model artifact, trained by the manifest's `train` script when missing.
 * Returns the virtualenv's Python.
 */
export async function preparePythonModel(options: PrepareOptions): Promise<string> {
  const { spec, logger } = options;
  const python = options.workerPython ?? (await prepareVenv(options));
  await prepareArtifact(spec, python, options.pythonDir, logger);
  return python;
}

async function prepareVenv(options: PrepareOptions): Promise<string> {
  const { spec, logger } = options;
  const python = venvPython(spec.dir);
  const venvDir = path.dirname(path.dirname(python));
  const files = [path.join(options.pythonDir, 'requirements.txt'), ...(options.extraRequirements ?? [])];
  if (spec.manifest.requirements) files.push(path.join(spec.dir, spec.manifest.requirements));

  if (!existsSync(python)) {
    logger.info({ venv: venvDir }, `creating virtualenv for ${spec.manifest.name}`);
    await run(options.python, ['-m', 'venv', venvDir], spec.dir, logger, 'create the virtualenv');
  }

  // A file is installed when its content hash is in the stamp; a changed file reinstalls.
  const stampPath = path.join(venvDir, STAMP_FILE);
  const stamp = existsSync(stampPath) ? new Set((await readFile(stampPath, 'utf8')).split('\n').filter(Boolean)) : new Set<string>();
  const hashes = await Promise.all(files.map(async (file) => `${await hashFile(file)} ${path.resolve(file)}`));
  const missing = files.filter((_, i) => !stamp.has(hashes[i]!));
  if (missing.length > 0) {
    logger.info({ requirements: missing }, 'installing Python requirements (first run only; this can take a few minutes)');
    const args = ['-m', 'pip', 'install', '--disable-pip-version-check', '--progress-bar', 'off'];
    for (const file of missing) args.push('-r', file);
    await run(python, args, spec.dir, logger, 'install the Python requirements');
    for (const hash of hashes) stamp.add(hash);
    await writeFile(stampPath, [...stamp].join('\n') + '\n');
  }
  return python;
}

async function prepareArtifact(spec: ModelSpec, python: string, pythonDir: string, logger: Logger): Promise<void> {
  const { artifact: named, train } = spec.manifest;
  // The same file --watch-model watches: an absolute path stays absolute.
  const artifact = artifactPath(spec);
  if (artifact !== undefined && !existsSync(artifact)) {
    if (train === undefined) {
      throw new PrepareError(`model artifact ${artifact} is missing and the manifest names no "train" script`);
    }
    logger.info({ script: train }, `artifact ${named} is missing: training ${spec.manifest.name} (first run only)`);
    await runTraining({ python, pythonDir, script: path.join(spec.dir, train), cwd: spec.dir }, logger, `train the model with ${train}`);
    if (!existsSync(artifact)) {
      throw new PrepareError(`${train} finished but did not write ${named}`);
    }
  }
}

async function hashFile(file: string): Promise<string> {
  try {
    return createHash('sha256').update(await readFile(file)).digest('hex').slice(0, 16);
  } catch (error) {
    throw new PrepareError(`requirements file ${file} cannot be read`, { cause: error });
  }
}

/**
 * Runs a manifest's `train` script with the gateway's own Python package on
 * its PYTHONPATH, so that it can write its artifact with
 * `gateway_worker.artifact_file.save_atomically` (never half a file for a
 * worker or a watching gateway to read).
 */
export function runTraining(training: { readonly python: string; readonly pythonDir: string; readonly script: string; readonly cwd: string }, logger: Logger, what: string): Promise<void> {
  const env = { ...process.env, PYTHONPATH: joinPythonPath(training.pythonDir, process.env.PYTHONPATH) };
  return run(training.python, [training.script], training.cwd, logger, what, env);
}

/** Runs a command, its output streamed to the log line by line so progress is visible; rejects with a {@link PrepareError} saying `what` failed. */
export function run(command: string, args: readonly string[], cwd: string, logger: Logger, what: string, env?: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], ...(env === undefined ? {} : { env }) });
    const tail: string[] = [];
    const heartbeat = quietStepHeartbeat(logger, what);
    child.once('close', () => heartbeat.stop());
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        heartbeat.output();
        tail.push(line);
        if (tail.length > 10) tail.shift();
        if (line.trim() !== '') logger.info(line);
      });
    }
    child.once('error', (error) => {
      reject(new PrepareError(`cannot ${what}: ${command} could not be started (${error.message})`, { cause: error }));
    });
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new PrepareError(`cannot ${what}: ${command} ${args.join(' ')} exited with ${signal ?? code}; last output: ${tail.join(' | ')}`));
    });
  });
}
