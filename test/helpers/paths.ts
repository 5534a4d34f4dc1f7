import path from 'node:path';
import { PACKAGE_ROOT, PYTHON_DIR } from '../../src/config/config.js';
import { venvPython } from '../../src/backends/python/prepare-python-model.js';

export { PYTHON_DIR, PACKAGE_ROOT as ROOT };
export const CENSUS_MODEL_DIR = path.join(PACKAGE_ROOT, 'models', 'census-income');
/** The example model's virtualenv (made by global setup); toy models borrow it. */
export const CENSUS_PYTHON = venvPython(CENSUS_MODEL_DIR);
export const DIGITS_MODEL_DIR = path.join(PACKAGE_ROOT, 'models', 'digits');
