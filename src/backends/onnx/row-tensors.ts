import type { InputBinding, OnnxBinding, OutputBinding } from '../../model/onnx-binding.js';
import type { TensorType } from '../../model/onnx-signature.js';
import type { Result, Row } from '../../model/row-schema.js';

export type TensorValues =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | string[];

/** A tensor as plain data: what `new ort.Tensor(type, data, dims)` takes and a session's output holds. */
export interface TensorData {
  readonly type: TensorType;
  readonly data: TensorValues;
  readonly dims: readonly number[];
}

/** A batch that cannot become tensors, or outputs that do not fit the rows: fails the batch (the engine bisects it). */
export class TensorShapeError extends Error {
  override readonly name = 'TensorShapeError';
}

/** The array each element type is stored in (`bool` as bytes, as ONNX Runtime takes it). */
const ARRAYS: Partial<Record<TensorType, new (length: number) => Exclude<TensorValues, string[]>>> = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
};

function allocate(type: TensorType, length: number): TensorValues {
  if (type === 'string') return new Array<string>(length);
  const array = ARRAYS[type];
  if (array === undefined) throw new TensorShapeError(`element type ${type} is not supported`);
  return new array(length);
}

/** Rows were validated against the input schema at the front door: values have the field's type. */
function store(values: TensorValues, index: number, value: unknown): void {
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) values[index] = BigInt(value as number);
  else if (Array.isArray(values)) values[index] = value as string;
  else values[index] = typeof value === 'boolean' ? Number(value) : (value as number);
}

function encodeInput(binding: InputBinding, rows: readonly Row[]): TensorData {
  const perRow = binding.rowShape.reduce((a, b) => a * b, 1);
  const values = allocate(binding.type, rows.length * perRow);
  if (binding.layout === 'array') {
    const field = binding.fields[0]!;
    rows.forEach((row, r) => {
      const list = row[field] as readonly unknown[];
      if (list.length !== perRow) throw new TensorShapeError(`field "${field}" has ${list.length} values, input "${binding.tensor}" takes ${perRow}`);
      for (let i = 0; i < perRow; i++) store(values, r * perRow + i, list[i]);
    });
  } else {
    const fields = binding.fields;
    rows.forEach((row, r) => {
      for (let i = 0; i < fields.length; i++) store(values, r * perRow + i, row[fields[i]!]);
    });
  }
  return { type: binding.type, data: values, dims: [rows.length, ...binding.rowShape] };
}

/** The feeds of one batch: every graph input, filled row-major from its fields. */
export function encodeInputs(binding: OnnxBinding, rows: readonly Row[]): Record<string, TensorData> {
  const feeds: Record<string, TensorData> = {};
  for (const input of binding.inputs) feeds[input.tensor] = encodeInput(input, rows);
  return feeds;
}

/**
 * The shortest decimal that is still this float32: a probability of 0.85 in
 * float32 is 0.8500000238418579 as a double, digits the model never
 * computed; the result says 0.85, as the same model in Python does.
 */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return Number(value.toPrecision(9));
}

function plain(values: TensorValues, index: number, type: TensorType): unknown {
  const value = values[index];
  if (typeof value === 'bigint') return Number(value);
  if (type === 'float32') return shortestFloat32(value as number);
  return type === 'bool' ? value === 1 : value;
}

function take(binding: OutputBinding, values: TensorValues, start: number, width: number): unknown {
  const { take: how, type } = binding;
  if (how === 'value') return plain(values, start, type);
  if (typeof how === 'number') return plain(values, start + how, type);
  if (how === 'row') {
    const row = new Array<unknown>(width);
    for (let i = 0; i < width; i++) row[i] = plain(values, start + i, type);
    return row;
  }
  let best = 0;
  for (let i = 1; i < width; i++) if ((values[start + i] as number) > (values[start + best] as number)) best = i;
  return how === 'argmax' ? best : plain(values, start + best, type);
}

/** One result per row, each field read from its output tensor as the binding says. */
export function decodeOutputs(binding: OnnxBinding, outputs: Readonly<Record<string, TensorData>>, rows: number): Result[] {
  const results: Result[] = Array.from({ length: rows }, () => ({}));
  for (const output of binding.outputs) {
    const tensor = outputs[output.tensor];
    if (tensor === undefined) throw new TensorShapeError(`the session returned no output "${output.tensor}"`);
    if (tensor.dims[0] !== rows) throw new TensorShapeError(`output "${output.tensor}" has ${tensor.dims[0] ?? 0} rows for a batch of ${rows}`);
    const width = tensor.dims.slice(1).reduce((a, b) => a * b, 1);
    for (let r = 0; r < rows; r++) results[r]![output.field] = take(output, tensor.data, r * width, width);
  }
  return results;
}
