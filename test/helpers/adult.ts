import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Row } from '../../src/model/row-schema.js';
import { CENSUS_MODEL_DIR } from './paths.js';

const COLUMNS = [
  'age', 'workclass', 'fnlwgt', 'education', 'education-num', 'marital-status', 'occupation',
  'relationship', 'race', 'sex', 'capital-gain', 'capital-loss', 'hours-per-week', 'native-country',
] as const;
const INTEGER_COLUMNS = new Set(['age', 'fnlwgt', 'education-num', 'capital-gain', 'capital-loss', 'hours-per-week']);

export interface LabelledRow {
  readonly row: Row;
  /** `<=50K` or `>50K` (the test split's trailing dot removed). */
  readonly label: string;
}

/** Rows of `data/adult.test` (or `adult.data`) as the gateway's JSON input. */
export function readAdult(file: 'adult.test' | 'adult.data' = 'adult.test'): LabelledRow[] {
  const text = readFileSync(path.join(CENSUS_MODEL_DIR, 'data', file), 'utf8');
  const rows: LabelledRow[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const values = line.split(', ');
    const row: Row = {};
    COLUMNS.forEach((column, i) => {
      const value = values[i]!.trim();
      row[column] = INTEGER_COLUMNS.has(column) ? Number.parseInt(value, 10) : value;
    });
    rows.push({ row, label: values[14]!.trim().replace(/\.$/, '') });
  }
  return rows;
}
