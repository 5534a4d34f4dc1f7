import path from 'node:path';
import { loadModelSpec } from '../../src/model/manifest.js';
import { prepareModel } from '../../src/model/prepare-model.js';
import { createLogger } from '../../src/logger.js';
import { CENSUS_MODEL_DIR, PYTHON_DIR } from './paths.js';

/**
 * Once per run: the example model's virtualenv (with the test tools) and its
 * trained artifact, exactly as `npm start` would prepare them.
 */
export default async function setup(): Promise<void> {
  const logger = createLogger('info', false).child({ component: 'test-setup' });
  await prepareModel({
    spec: await loadModelSpec(CENSUS_MODEL_DIR),
    python: process.env.GATEWAY_PYTHON ?? 'python3',
    workerRequirements: path.join(PYTHON_DIR, 'requirements.txt'),
    extraRequirements: [path.join(PYTHON_DIR, 'requirements-dev.txt')],
    logger,
  });
}
