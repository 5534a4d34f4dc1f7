import type { z } from 'zod';
import { parseRows } from '../model/parse-rows.js';
import { TooManyRowsError, ValidationError, type FieldIssue } from '../errors.js';
import type { Row } from '../model/row-schema.js';
import { decodeBinary } from './binary-tensor.js';
import { DATATYPES, isDatatype, type Datatype } from './datatypes.js';
import type { DeclaredObject } from './declared-fields.js';
import { checkJsonElements, elementCount, flattenData } from './tensor-data.js';
import { TensorIssue } from './tensor-issue.js';
import { acceptsDatatype, tensorSpecs, type TensorSpec } from './tensor-spec.js';
import type { InferRequest, RequestInput } from './v2-schemas.js';

/** The parameter of the binary tensor extension giving an input's byte length in the binary part of the body. */
export const BINARY_DATA_SIZE = 'binary_data_size';

export interface DecodeOptions {
  readonly modelName: string;
  readonly input: DeclaredObject;
  readonly maxRows: number;
}

interface Column {
  readonly spec: TensorSpec;
  readonly values: readonly unknown[];
  /** Elements per row (1 for a scalar field). */
  readonly width: number;
}

/**
 * Turns the request's input tensors into rows, one input per field (the
 * pandas layout MLServer's `"content_type": "pd"` uses, and a `[N, n]`
 * tensor for a list field). Every refusal is a `ValidationError` naming the
 * input; the bytes of binary inputs are taken in input order from `binary`.
 * Nothing is allocated from a declared shape before the data is known to
 * hold that many elements.
 */
export function decodeInputs(request: InferRequest, binary: Uint8Array, options: DecodeOptions): Row[] {
  const specs = tensorSpecs(options.input);
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const issues: FieldIssue[] = [];
  const columns: Column[] = [];
  const seen = new Set<string>();
  let rowsFrom: { name: string; rows: number } | undefined;
  let offset = 0;

  for (const input of request.inputs) {
    const spec = byName.get(input.name);
    if (spec === undefined) {
      issues.push({ field: input.name, reason: `is not an input of ${options.modelName} (its inputs: ${namesOf(specs)})` });
      continue;
    }
    if (seen.has(input.name)) {
      issues.push({ field: input.name, reason: 'is sent more than once' });
      continue;
    }
    seen.add(input.name);
    try {
      const datatype = checkDatatype(input.datatype, spec);
      const rows = checkShape(input.shape, spec);
      if (rows > options.maxRows) {
        const error = new TooManyRowsError(rows, options.maxRows);
        error.message = `${input.name}: ${rows} rows is more than the limit of ${options.maxRows} per request`;
        throw error;
      }
      if (rowsFrom !== undefined && rows !== rowsFrom.rows) {
        throw new TensorIssue(`has ${rows} rows (shape ${shapeText(input.shape)}), but ${rowsFrom.name} has ${rowsFrom.rows}`);
      }
      rowsFrom ??= { name: input.name, rows };
      const count = elementCount(input.shape);
      const size = binaryDataSize(input);
      let values: readonly unknown[];
      if (size !== undefined) {
        if (input.data !== undefined) throw new TensorIssue(`has both data and parameters.${BINARY_DATA_SIZE}: send one`);
        if (offset + size > binary.length) {
          throw new TensorIssue(`parameters.${BINARY_DATA_SIZE} is ${size} bytes, beyond the ${binary.length - offset} bytes of binary data left in the body`);
        }
        values = decodeBinary(binary.subarray(offset, offset + size), datatype, count);
        offset += size;
      } else {
        if (input.data === undefined) throw new TensorIssue(`has neither data nor parameters.${BINARY_DATA_SIZE}`);
        const elements = flattenData(input.data, input.shape.length);
        if (elements.length !== count) {
          throw new TensorIssue(`shape ${shapeText(input.shape)} holds ${count} elements, but data has ${elements.length}`);
        }
        checkJsonElements(elements, datatype, spec.nullable);
        values = elements;
      }
      columns.push({ spec, values, width: spec.list ? input.shape[1]! : 1 });
    } catch (error) {
      if (!(error instanceof TensorIssue)) throw error;
      issues.push({ field: input.name, reason: error.message });
    }
  }
  if (issues.length === 0 && offset !== binary.length) {
    issues.push({ field: '(body)', reason: `holds ${binary.length - offset} bytes after the JSON header that no input's parameters.${BINARY_DATA_SIZE} accounts for` });
  }
  for (const spec of specs) {
    if (spec.required && !seen.has(spec.name)) issues.push({ field: spec.name, reason: `is a required input of ${options.modelName} and is missing` });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return toRows(columns, rowsFrom?.rows ?? 0);
}

function toRows(columns: readonly Column[], count: number): Row[] {
  const rows = new Array<Row>(count);
  for (let r = 0; r < count; r++) {
    const row: Row = {};
    for (const { spec, values, width } of columns) {
      row[spec.name] = spec.list ? values.slice(r * width, (r + 1) * width) : values[r];
    }
    rows[r] = row;
  }
  return rows;
}

/**
 * Validates rows built from tensors with the model's own row schema (the
 * one `/predict` uses), naming the input and the row: `age[3]: must be <= 150`.
 */
export function checkRows(rows: readonly Row[], schema: z.ZodType): Row[] {
  const parsed = parseRows(schema, rows, (path, r) => [path[0] ?? '(row)', r, ...path.slice(1)]);
  if ('issues' in parsed) throw new ValidationError(parsed.issues);
  return parsed.rows;
}

function checkDatatype(datatype: string, spec: TensorSpec): Datatype {
  if (!isDatatype(datatype)) throw new TensorIssue(`datatype ${JSON.stringify(datatype)} is not one of ${DATATYPES.join(', ')}`);
  if (!acceptsDatatype(spec, datatype)) {
    const wanted = spec.element === 'string' || spec.element === 'boolean' ? spec.datatype : `${spec.datatype} (or another numeric datatype)`;
    throw new TensorIssue(`datatype ${datatype} does not fit this ${spec.list ? `list of ${spec.element}s` : spec.element} field: send ${wanted}`);
  }
  return datatype;
}

/** The number of rows the shape carries, once it fits the field: `[N]` or `[N, 1]` for a scalar, `[N, n]` for a list. */
function checkShape(shape: readonly number[], spec: TensorSpec): number {
  const fits = spec.list
    ? shape.length === 2 && (spec.width === undefined || shape[1] === spec.width)
    : shape.length === 1 || (shape.length === 2 && shape[1] === 1);
  if (!fits) {
    const wanted = spec.list ? `[N, ${spec.width ?? 'n'}]` : '[N] or [N, 1]';
    throw new TensorIssue(`shape ${shapeText(shape)} does not fit this field: send ${wanted} for N rows`);
  }
  if (shape[0] === 0) throw new TensorIssue(`shape ${shapeText(shape)} holds no rows`);
  return shape[0]!;
}

function binaryDataSize(input: RequestInput): number | undefined {
  const size = input.parameters?.[BINARY_DATA_SIZE];
  if (size === undefined) return undefined;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new TensorIssue(`parameters.${BINARY_DATA_SIZE} must be a whole number of bytes, got ${JSON.stringify(size)}`);
  }
  return size;
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

const LISTED_NAMES = 20;

function namesOf(specs: readonly TensorSpec[]): string {
  const names = specs.slice(0, LISTED_NAMES).map((spec) => spec.name).join(', ');
  return specs.length > LISTED_NAMES ? `${names}, ... (${specs.length} in all)` : names;
}
