import { integerRange, type Datatype } from './datatypes.js';
import { TensorIssue } from './tensor-issue.js';

/** Product of the dimensions (a `[]` shape is one scalar). */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}

/**
 * The elements of JSON tensor data in row-major order. The protocol allows
 * them flat (`[1, 2, 4, 5]`) or nested as the shape (`[[1, 2], [4, 5]]`);
 * nesting deeper than the shape's rank is refused rather than walked, so a
 * hostile body cannot make this recurse without bound.
 */
export function flattenData(data: unknown, rank: number): unknown[] {
  if (!Array.isArray(data)) throw new TensorIssue(`data must be an array, got ${describe(data)}`);
  if (!data.some(Array.isArray)) return data;
  const out: unknown[] = [];
  const walk = (items: readonly unknown[], depth: number): void => {
    for (const item of items) {
      if (!Array.isArray(item)) out.push(item);
      else if (depth >= rank) throw new TensorIssue(`data is nested deeper than its shape's ${rank} dimensions`);
      else walk(item, depth + 1);
    }
  };
  walk(data, 1);
  return out;
}

/**
 * Checks JSON elements against the datatype the request declared, so that
 * `"datatype": "INT64"` with `"data": ["25"]` names the input instead of
 * failing later as a row error. `null` passes only for a nullable field.
 */
export function checkJsonElements(elements: readonly unknown[], datatype: Datatype, nullable: boolean): void {
  const range = integerRange(datatype);
  for (let i = 0; i < elements.length; i++) {
    const value = elements[i];
    if (value === null && nullable) continue;
    let ok: boolean;
    if (datatype === 'BOOL') ok = typeof value === 'boolean';
    else if (datatype === 'BYTES') ok = typeof value === 'string';
    else if (range !== undefined) ok = Number.isInteger(value) && (value as number) >= range[0] && (value as number) <= range[1];
    else ok = typeof value === 'number';
    if (!ok) throw new TensorIssue(`element ${i} (${preview(value)}) is not ${expected(datatype)}`);
  }
}

function expected(datatype: Datatype): string {
  if (datatype === 'BOOL') return 'a boolean (BOOL)';
  if (datatype === 'BYTES') return 'a string (BYTES)';
  const range = integerRange(datatype);
  return range === undefined ? `a number (${datatype})` : `an integer from ${range[0]} to ${range[1]} (${datatype})`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
