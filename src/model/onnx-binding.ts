import { z } from 'zod';
import type { FieldSchema, ObjectSchema } from './manifest.js';
import type { Dimension, GraphSignature, TensorType, ValueSignature } from './onnx-signature.js';

/**
 * The manifest's `onnx` section: which request fields feed which graph
 * input, and which graph output fills which result field. Either map may be
 * left out, and is then derived from the graph (see {@link bindOnnx}).
 */
export const onnxSectionSchema = z.strictObject({
  /**
   * Graph input tensor → the field that feeds it (a scalar field: one
   * `[N, 1]` column; an array field: `[N, ...]` row-major), or a list of
   * scalar fields that fill one `[N, k]` tensor row-major, in that order.
   */
  inputs: z.record(z.string().min(1), z.union([z.string().min(1), z.array(z.string().min(1)).min(1)])).optional(),
  /**
   * Result field → the graph output tensor it comes from: the row's value, or
   * (`take`) the row's largest value (`"max"`, e.g. the probability of the
   * predicted class), its index (`"argmax"`), or the value at an index.
   */
  outputs: z
    .record(
      z.string().min(1),
      z.union([z.string().min(1), z.strictObject({ tensor: z.string().min(1), take: z.union([z.enum(['max', 'argmax']), z.int().nonnegative()]).optional() })]),
    )
    .optional(),
  /** onnxruntime's intra-op threads per worker thread: 1, as the pool itself spreads work over the cores. */
  intraOpThreads: z.int().min(1).max(64).default(1),
  /** Refuse to start more worker threads than fit in this much memory (each holds a session). */
  memoryLimitMb: z.int().min(1).optional(),
});

export type OnnxSection = z.infer<typeof onnxSectionSchema>;

/** How one graph input is filled from a batch of rows. */
export interface InputBinding {
  readonly tensor: string;
  readonly type: TensorType;
  /** `column`: one scalar field per row; `fields`: several scalar fields per row; `array`: one array field per row. */
  readonly layout: 'column' | 'fields' | 'array';
  readonly fields: readonly string[];
  /** The tensor's shape after the batch dimension (`[1]` for an `[N, 1]` column, `[]` for `[N]`). */
  readonly rowShape: readonly number[];
}

/** How one result field is read from a graph output. */
export interface OutputBinding {
  readonly field: string;
  readonly tensor: string;
  readonly type: TensorType;
  /** `value`: the row's only element; `row`: all of them, as a list; else as the manifest's `take`. */
  readonly take: 'value' | 'row' | 'max' | 'argmax' | number;
}

/** The whole mapping, plain data: handed to each worker thread. */
export interface OnnxBinding {
  readonly inputs: readonly InputBinding[];
  readonly outputs: readonly OutputBinding[];
}

/** A mapping that contradicts the graph or the declared fields. */
export class OnnxBindingError extends Error {
  constructor(
    /** The manifest field at fault, e.g. `onnx.inputs.education_num`. */
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'OnnxBindingError';
  }
}

export interface BoundModel {
  readonly input: ObjectSchema;
  readonly output: ObjectSchema;
  readonly binding: OnnxBinding;
  /** What was derived from the graph rather than declared, for the start-up log. */
  readonly derived: readonly string[];
  /** Graph outputs that no field can carry (a map or a sequence), for a start-up warning. */
  readonly leftOut: readonly string[];
}

const INTEGER_TYPES = new Set<TensorType>(['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64']);
const FLOAT_TYPES = new Set<TensorType>(['float32', 'float64']);

/** The name skl2onnx gives a column: every character a graph name may not hold becomes `_` (`education-num` → `education_num`). */
export function onnxName(field: string): string {
  return field.replace(/[^A-Za-z0-9_]/g, '_');
}

/**
 * Binds a graph to request and result fields: checks a declared mapping
 * against the graph and the declared `input`/`output`, or derives what the
 * manifest leaves out (the fields from the tensors, the mapping by name,
 * skl2onnx's renaming included). Throws {@link OnnxBindingError} naming the
 * manifest field at fault.
 */
export function bindOnnx(section: OnnxSection, declaredInput: ObjectSchema | undefined, declaredOutput: ObjectSchema | undefined, graph: GraphSignature): BoundModel {
  const derived: string[] = [];
  const leftOut: string[] = [];
  const input = declaredInput ?? deriveObject(graph.inputs, 'input', derived, leftOut);
  const inputs = section.inputs === undefined ? deriveInputs(graph, input, derived) : Object.entries(section.inputs).map(([tensor, fields]) => bindInput(graph, input, tensor, fields));
  for (const value of graph.inputs) {
    if (!inputs.some((b) => b.tensor === value.name)) throw new OnnxBindingError('onnx.inputs', `graph input "${value.name}" is fed by no field`);
  }
  const output = declaredOutput ?? deriveObject(graph.outputs, 'output', derived, leftOut);
  const outputs =
    section.outputs === undefined
      ? deriveOutputs(graph, output, derived)
      : Object.entries(section.outputs).map(([field, spec]) => bindOutput(graph, output, field, typeof spec === 'string' ? { tensor: spec } : spec, `onnx.outputs.${field}`));
  for (const name of output.required) {
    if (!outputs.some((b) => b.field === name)) throw new OnnxBindingError('onnx.outputs', `required output field "${name}" comes from no graph output`);
  }
  return { input, output, binding: { inputs, outputs }, derived, leftOut };
}

function tensorOf(values: readonly ValueSignature[], name: string, where: string, what: string): Extract<ValueSignature, { kind: 'tensor' }> {
  const value = values.find((v) => v.name === name);
  if (value === undefined) throw new OnnxBindingError(where, `the graph has no ${what} "${name}" (its ${what}s: ${values.map((v) => v.name).join(', ') || 'none'})`);
  if (value.kind !== 'tensor') {
    throw new OnnxBindingError(where, `${what} "${name}" is a ${value.kind}, not a tensor (a scikit-learn classifier: convert with skl2onnx's zipmap=False)`);
  }
  if (value.type === 'unsupported' || value.type === 'float16') throw new OnnxBindingError(where, `${what} "${name}" has an element type the gateway does not map (${value.type})`);
  return value;
}

/** Sizes after the batch dimension; throws unless the first is the batch (symbolic or unnamed) and the rest are fixed. */
function rowShape(value: Extract<ValueSignature, { kind: 'tensor' }>, where: string, what: string): number[] {
  const shape = value.shape;
  if (shape === undefined || shape.length === 0) throw new OnnxBindingError(where, `${what} "${value.name}" has no declared shape: the gateway needs [batch, ...]`);
  const [batch, ...rest] = shape as [Dimension, ...Dimension[]];
  if (typeof batch === 'number') throw new OnnxBindingError(where, `${what} "${value.name}" fixes its first dimension at ${batch}: the gateway batches rows along it, so it must be symbolic (None)`);
  return rest.map((dim) => {
    if (typeof dim !== 'number') throw new OnnxBindingError(where, `${what} "${value.name}" has a symbolic dimension after the batch one (${JSON.stringify(shape)}): only the first may vary`);
    return dim;
  });
}

const width = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function fieldType(field: FieldSchema): FieldSchema['type'] {
  return field.type === 'array' ? field.items.type : field.type;
}

/** Whether a field of this JSON type may fill (or be filled from) a tensor of this element type. */
function compatible(tensor: TensorType, json: FieldSchema['type'], direction: 'input' | 'output'): boolean {
  if (tensor === 'string') return json === 'string';
  if (tensor === 'bool') return json === 'boolean';
  // An integer tensor takes integers only (a number would be truncated); a result field of type number takes either.
  if (INTEGER_TYPES.has(tensor)) return json === 'integer' || (direction === 'output' && json === 'number');
  if (FLOAT_TYPES.has(tensor)) return json === 'number' || (direction === 'input' && json === 'integer');
  return false;
}

function jsonTypeOf(tensor: TensorType): 'string' | 'boolean' | 'integer' | 'number' {
  if (tensor === 'string') return 'string';
  if (tensor === 'bool') return 'boolean';
  return INTEGER_TYPES.has(tensor) ? 'integer' : 'number';
}

function bindInput(graph: GraphSignature, input: ObjectSchema, tensor: string, fields: string | readonly string[], where = `onnx.inputs.${tensor}`): InputBinding {
  const value = tensorOf(graph.inputs, tensor, where, 'input');
  const shape = rowShape(value, where, 'input');
  const names = typeof fields === 'string' ? [fields] : fields;
  for (const name of names) {
    const field = input.properties[name];
    if (field === undefined) throw new OnnxBindingError(where, `field "${name}" is not in input (its fields: ${Object.keys(input.properties).join(', ')})`);
    if (!compatible(value.type, fieldType(field), 'input')) {
      throw new OnnxBindingError(where, `field "${name}" is of type ${describe(field)} but input "${tensor}" holds ${value.type}`);
    }
    if (field.nullable) throw new OnnxBindingError(where, `field "${name}" is nullable, and a tensor has no place for null`);
    if (!input.required.includes(name)) throw new OnnxBindingError(where, `field "${name}" is optional in input, and a tensor needs a value in every row`);
  }
  const single = names.length === 1 ? input.properties[names[0]!]! : undefined;
  if (single?.type === 'array') {
    const size = width(shape);
    if (single.minItems !== size || single.maxItems !== size) {
      throw new OnnxBindingError(where, `field "${names[0]}" must have minItems and maxItems ${size} to fill input "${tensor}" (shape ${JSON.stringify(value.shape)})`);
    }
    return { tensor, type: value.type, layout: 'array', fields: names, rowShape: shape };
  }
  const nonScalar = names.find((name) => input.properties[name]!.type === 'array');
  if (nonScalar !== undefined) throw new OnnxBindingError(where, `field "${nonScalar}" is an array: list scalar fields, or map one array field alone`);
  if (width(shape) !== names.length) {
    throw new OnnxBindingError(where, `input "${tensor}" takes ${width(shape)} value(s) per row (shape ${JSON.stringify(value.shape)}), ${names.length === 1 ? 'one field gives 1' : `${names.length} fields give ${names.length}`}`);
  }
  return { tensor, type: value.type, layout: names.length === 1 ? 'column' : 'fields', fields: names, rowShape: shape };
}

function bindOutput(graph: GraphSignature, output: ObjectSchema, field: string, spec: { tensor: string; take?: 'max' | 'argmax' | number | undefined }, where: string): OutputBinding {
  const value = tensorOf(graph.outputs, spec.tensor, where, 'output');
  const shape = rowShape(value, where, 'output');
  const declared = output.properties[field];
  if (declared === undefined) throw new OnnxBindingError(where, `field "${field}" is not in output (its fields: ${Object.keys(output.properties).join(', ')})`);
  const size = width(shape);
  let take: OutputBinding['take'];
  if (spec.take === undefined) take = size === 1 && declared.type !== 'array' ? 'value' : 'row';
  else take = spec.take;
  if (take === 'argmax') {
    if (declared.type !== 'integer' && declared.type !== 'number') throw new OnnxBindingError(where, `"argmax" gives an index, but field "${field}" is of type ${describe(declared)}`);
  } else if (!compatible(value.type, fieldType(declared), 'output')) {
    throw new OnnxBindingError(where, `field "${field}" is of type ${describe(declared)} but output "${spec.tensor}" holds ${value.type}`);
  }
  if ((take === 'max' || take === 'argmax') && (value.type === 'string' || value.type === 'bool')) throw new OnnxBindingError(where, `"${take}" needs a numeric output, "${spec.tensor}" holds ${value.type}`);
  if (typeof take === 'number' && take >= size) throw new OnnxBindingError(where, `index ${take} is past the ${size} value(s) per row of output "${spec.tensor}"`);
  if (take === 'row' && declared.type !== 'array') throw new OnnxBindingError(where, `output "${spec.tensor}" has ${size} values per row: field "${field}" must be an array, or say which value to "take"`);
  if (take !== 'row' && declared.type === 'array') throw new OnnxBindingError(where, `field "${field}" is an array, but "${String(take)}" takes one value per row`);
  return { field, tensor: spec.tensor, type: value.type, take };
}

function describe(field: FieldSchema): string {
  return field.type === 'array' ? `array of ${field.items.type}` : field.type;
}

/** Fields of the same names as the tensors: scalars for `[N]`/`[N, 1]`, fixed-length lists otherwise. */
function deriveObject(values: readonly ValueSignature[], which: 'input' | 'output', derived: string[], leftOut: string[]): ObjectSchema {
  const properties: Record<string, FieldSchema> = {};
  for (const value of values) {
    if (value.kind !== 'tensor' && which === 'output') {
      // skl2onnx's default ZipMap turns a classifier's probabilities into a sequence of maps.
      leftOut.push(`output "${value.name}" is left out of the results: it is a ${value.kind}, not a tensor (a scikit-learn classifier's probabilities: convert with skl2onnx's zipmap=False to serve them)`);
      continue;
    }
    const tensor = tensorOf(values, value.name, which, which);
    const shape = rowShape(tensor, which, which);
    const type = jsonTypeOf(tensor.type);
    const size = width(shape);
    properties[value.name] = size === 1 && shape.length <= 1 ? { type } : { type: 'array', items: { type }, minItems: size, maxItems: size };
  }
  if (Object.keys(properties).length === 0) throw new OnnxBindingError(which, `the graph has no tensor ${which} to derive fields from`);
  derived.push(`${which} fields from the graph: ${Object.entries(properties).map(([name, field]) => `${name} (${describe(field)})`).join(', ')}`);
  return { type: 'object', properties, required: Object.keys(properties) };
}

function fieldNamed(object: ObjectSchema, tensor: string): string | undefined {
  if (tensor in object.properties) return tensor;
  return Object.keys(object.properties).find((name) => onnxName(name) === tensor);
}

function deriveInputs(graph: GraphSignature, input: ObjectSchema, derived: string[]): InputBinding[] {
  const bindings: InputBinding[] = [];
  for (const value of graph.inputs) {
    const where = `onnx.inputs.${value.name}`;
    const field = fieldNamed(input, value.name);
    if (field !== undefined) {
      bindings.push(bindInput(graph, input, value.name, field, where));
      continue;
    }
    // One tensor of k values per row, and k scalar fields: the row-major layout of a model trained on a matrix.
    const scalars = Object.keys(input.properties).filter((name) => input.properties[name]!.type !== 'array');
    if (graph.inputs.length === 1 && scalars.length > 1) {
      bindings.push(bindInput(graph, input, value.name, scalars, where));
      continue;
    }
    throw new OnnxBindingError(where, `graph input "${value.name}" matches no field of input by name: map it in onnx.inputs`);
  }
  derived.push(`onnx.inputs from the graph: ${bindings.map((b) => `${b.tensor} <- ${b.fields.join(', ')}`).join('; ')}`);
  return bindings;
}

function deriveOutputs(graph: GraphSignature, output: ObjectSchema, derived: string[]): OutputBinding[] {
  const bindings: OutputBinding[] = [];
  for (const field of Object.keys(output.properties)) {
    const tensor = graph.outputs.find((v) => v.name === field || v.name === onnxName(field));
    if (tensor === undefined) {
      if (!output.required.includes(field)) continue;
      throw new OnnxBindingError(`onnx.outputs.${field}`, `output field "${field}" matches no graph output by name (graph outputs: ${graph.outputs.map((v) => v.name).join(', ')}): map it in onnx.outputs`);
    }
    bindings.push(bindOutput(graph, output, field, { tensor: tensor.name }, `onnx.outputs.${field}`));
  }
  derived.push(`onnx.outputs from the graph: ${bindings.map((b) => `${b.field} <- ${b.tensor}`).join('; ')}`);
  return bindings;
}
