import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PACKAGE_ROOT as ROOT } from '../../src/config/config.js';

/** A scenario another file provides (bench/kafka.ts, bench/worker-efficiency.ts), called if it is there. */
export type OptionalScenario = (options: Record<string, unknown>) => Promise<unknown>;

/**
 * Loads `bench/<file>.ts` and returns the first of `exportNames` it exports
 * as a function, or a reason it cannot. Those files are written by other
 * people at the same time as this runner, so their absence is a normal case.
 */
export async function loadOptionalScenario(file: string, exportNames: readonly string[]): Promise<OptionalScenario | string> {
  const full = path.join(ROOT, 'bench', `${file}.ts`);
  if (!existsSync(full)) return `bench/${file}.ts does not exist yet`;
  const module = (await import(pathToFileURL(full).href)) as Record<string, unknown>;
  for (const name of exportNames) {
    const candidate = module[name];
    if (typeof candidate === 'function') return candidate as OptionalScenario;
  }
  return `bench/${file}.ts exports none of ${exportNames.join(', ')}`;
}
