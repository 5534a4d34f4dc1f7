import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const CENSUS_MODEL_DIR = path.join(ROOT, 'models', 'census-income');
export const TOY_MODELS_DIR = path.join(ROOT, 'python', 'tests', 'models');
export const PYTHON_DIR = path.join(ROOT, 'python');
