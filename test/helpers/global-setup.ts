import path from 'node:path';
import { DEFAULT_MODEL_REPOSITORY } from '../../src/config/config.js';
import { ModelRepository } from '../../src/model/model-repository.js';
import { preparePythonModel } from '../../src/backends/python/prepare-python-model.js';
import { createBackends } from '../../src/backends/backends.js';
import { createLogger } from '../../src/logger.js';
import { CENSUS_MODEL_DIR, PYTHON_DIR } from './paths.js';
import { ensurePromtool } from './promtool.js';

/**
 * Once per run: every example model's virtualenv and trained artifact,
 * exactly as `npm start` would prepare them; the census-income one (which the
 * test fixtures and pytest borrow) also gets the test tools.
 */
export default async function setup(): Promise<void> {
  const logger = createLogger('info', false).child({ component: 'test-setup' });
  const backends = createBackends({ pythonDir: PYTHON_DIR, python: process.env.GATEWAY_PYTHON ?? 'python3', workerPython: undefined, workerStartTimeoutMs: 120_000 });
  for (const spec of await ModelRepository.directory(DEFAULT_MODEL_REPOSITORY).specs()) {
    if (spec.manifest.runtime !== 'python') {
      await backends[spec.manifest.runtime].prepare(spec, logger.child({ model: spec.manifest.name }));
      continue;
    }
    await preparePythonModel({
      spec,
      python: process.env.GATEWAY_PYTHON ?? 'python3',
      pythonDir: PYTHON_DIR,
      extraRequirements: spec.dir === CENSUS_MODEL_DIR ? [path.join(PYTHON_DIR, 'requirements-dev.txt')] : [],
      logger: logger.child({ model: spec.manifest.name }),
    });
  }
  ensurePromtool((message) => logger.info(message));
}
