import path from 'node:path';
import { PACKAGE_ROOT as ROOT } from '../../../src/config/config.js';

/** Committed peer sources: bench/peers/<name>/. */
export const PEERS_DIR = path.join(ROOT, 'bench', 'peers');
/** Made by the bench's setup, git-ignored: bench/.peers/<name>/ (virtualenvs, generated settings). */
export const PEERS_STATE_DIR = path.join(ROOT, 'bench', '.peers');
export const CENSUS_DIR = path.join(ROOT, 'models', 'census-income');
export const CENSUS_ARTIFACT = path.join(CENSUS_DIR, 'artifacts', 'model.joblib');
export const CENSUS_REQUIREMENTS = path.join(CENSUS_DIR, 'requirements.txt');
