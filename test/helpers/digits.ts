import { execFileSync } from 'node:child_process';
import type { Row } from '../../src/model/row-schema.js';
import { CENSUS_PYTHON } from './paths.js';

export interface LabelledDigit {
  readonly row: Row & { pixels: number[] };
  readonly label: number;
}

/** The first `count` images of scikit-learn's bundled digits data set, as the digits model's rows. */
export function readDigits(count: number): LabelledDigit[] {
  const script = `import json; from sklearn.datasets import load_digits; d = load_digits(); print(json.dumps([[x.tolist(), int(y)] for x, y in zip(d.data[:${count}], d.target[:${count}])]))`;
  const out = execFileSync(CENSUS_PYTHON, ['-c', script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return (JSON.parse(out) as [number[], number][]).map(([pixels, label]) => ({ row: { pixels }, label }));
}
