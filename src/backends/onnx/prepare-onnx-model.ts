import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { PrepareError } from '../../errors.js';
import { artifactPath, loadModelSpec, type ModelSpec } from '../../model/manifest.js';
import type { PythonBackend } from '../python/python-backend.js';

/**
 * Makes an ONNX model's artifact exist, idempotently. A model exported from
 * a Python one names that model directory (`trainWith`): it is prepared
 * first (its virtualenv, its own training, which may write this artifact
 * too), then `train` runs with its Python if the artifact is still missing.
 * Python runs only here, never while serving.
 */
export async function prepareOnnxModel(spec: ModelSpec, python: PythonBackend, logger: Logger): Promise<void> {
  const artifact = artifactPath(spec)!;
  if (existsSync(artifact)) return;
  const { train, trainWith, name } = spec.manifest;
  if (train === undefined || trainWith === undefined) {
    throw new PrepareError(`model artifact ${artifact} is missing and the manifest names no "train" script (with "trainWith") to make it`);
  }
  const source = await loadModelSpec(path.resolve(spec.dir, trainWith));
  logger.info({ trainWith: source.dir }, `artifact ${spec.manifest.artifact} is missing: preparing ${source.manifest.name}, whose environment makes it (first run only)`);
  await python.prepare(source, logger.child({ trainWith: source.manifest.name }));
  if (existsSync(artifact)) return;
  logger.info({ script: train }, `running ${train} to write ${spec.manifest.artifact} for ${name}`);
  await python.train(source, path.resolve(spec.dir, train), logger, `make the ONNX model with ${train}`);
  if (!existsSync(artifact)) throw new PrepareError(`${train} finished but did not write ${artifact}`);
}
