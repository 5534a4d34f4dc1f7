import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, from bench/lib/. */
export const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const CENSUS_DIR = path.join(ROOT, 'models', 'census-income');

/** One gateway input row: the 14 census attributes, integers as numbers. */
export type CensusRow = Record<string, string | number>;

const COLUMNS = [
  'age', 'workclass', 'fnlwgt', 'education', 'education-num', 'marital-status', 'occupation',
  'relationship', 'race', 'sex', 'capital-gain', 'capital-loss', 'hours-per-week', 'native-country',
] as const;
const INTEGER_COLUMNS: ReadonlySet<string> = new Set(['age', 'fnlwgt', 'education-num', 'capital-gain', 'capital-loss', 'hours-per-week']);

/**
 * The first `limit` rows of `data/adult.test` as /predict bodies: comma+space
 * separated, no header, 15 columns of which the last (the label, e.g.
 * `<=50K.`) is dropped.
 */
export function readCensusRows(limit = Number.POSITIVE_INFINITY): CensusRow[] {
  const text = readFileSync(path.join(CENSUS_DIR, 'data', 'adult.test'), 'utf8');
  const rows: CensusRow[] = [];
  for (const line of text.split('\n')) {
    if (rows.length >= limit) break;
    const values = line.trim().split(', ');
    if (values.length !== COLUMNS.length + 1) continue; // blank or comment line
    const row: CensusRow = {};
    COLUMNS.forEach((column, i) => {
      const value = values[i]!;
      row[column] = INTEGER_COLUMNS.has(column) ? Number.parseInt(value, 10) : value;
    });
    rows.push(row);
  }
  if (rows.length === 0) throw new Error('no rows read from adult.test');
  return rows;
}
