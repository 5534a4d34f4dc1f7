import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT as ROOT } from '../../src/config/config.js';

/** The census model's name and version, and its latency objective (model.json `batching.latencySloMs`) if it declares one. */
export function censusModelInfo(): { name: string; objectiveMs: number | undefined } {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'models', 'census-income', 'model.json'), 'utf8')) as { name: string; version: string; batching?: { latencySloMs?: number } };
  return { name: `${manifest.name} ${manifest.version}`, objectiveMs: manifest.batching?.latencySloMs };
}
