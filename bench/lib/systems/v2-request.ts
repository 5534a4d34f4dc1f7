import type { Row } from '../../../src/model/row-schema.js';

/** The census model's columns, in its training order (models/census-income/features.py). */
export const CENSUS_COLUMNS = [
  'age', 'workclass', 'fnlwgt', 'education', 'education-num', 'marital-status', 'occupation',
  'relationship', 'race', 'sex', 'capital-gain', 'capital-loss', 'hours-per-week', 'native-country',
] as const;

/**
 * Rows as an Open Inference Protocol (V2) request that MLServer's stock
 * scikit-learn runtime turns into the same pandas DataFrame the gateway's
 * handler builds: `content_type: "pd"` makes one column per input, and
 * `content_type: "str"` on the BYTES inputs makes them Python strings, so
 * the pipeline's one-hot encoder sees what it was trained on. The output
 * asked for is `predict_proba`, the call the gateway's handler makes.
 */
export function v2Request(rows: readonly Row[]): object {
  return {
    parameters: { content_type: 'pd' },
    inputs: CENSUS_COLUMNS.map((name) => {
      const data = rows.map((row) => row[name]);
      const isString = typeof data[0] === 'string';
      return isString
        ? { name, shape: [rows.length], datatype: 'BYTES', data, parameters: { content_type: 'str' } }
        : { name, shape: [rows.length], datatype: 'INT64', data };
    }),
    outputs: [{ name: 'predict_proba' }],
  };
}
