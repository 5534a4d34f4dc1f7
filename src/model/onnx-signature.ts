import { readFile } from 'node:fs/promises';
import protobuf from 'protobufjs/minimal.js';

/** ONNX element types by their `TensorProto.DataType` number, named as onnxruntime names them. */
const ELEMENT_TYPES = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
} as const;

export type TensorType = (typeof ELEMENT_TYPES)[keyof typeof ELEMENT_TYPES] | 'unsupported';

/** One dimension: a fixed size, a symbolic name (`"N"`), or `null` when the graph leaves it unnamed. */
export type Dimension = number | string | null;

/** One graph input or output. */
export type ValueSignature =
  | { readonly name: string; readonly kind: 'tensor'; readonly type: TensorType; readonly shape: readonly Dimension[] | undefined }
  | { readonly name: string; readonly kind: 'sequence' | 'map' | 'other' };

/** What a graph takes and returns: the part of an `.onnx` file the gateway binds to fields. */
export interface GraphSignature {
  readonly inputs: readonly ValueSignature[];
  readonly outputs: readonly ValueSignature[];
}

// Field numbers of onnx.proto (ModelProto.graph, GraphProto.initializer/input/output, ...).
const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const TENSOR_NAME = 8;
const VALUE_NAME = 1;
const VALUE_TYPE = 2;
const TYPE_TENSOR = 1;
const TYPE_SEQUENCE = 4;
const TYPE_MAP = 5;
const TENSOR_TYPE_ELEM = 1;
const TENSOR_TYPE_SHAPE = 2;
const SHAPE_DIM = 1;
const DIM_VALUE = 1;
const DIM_PARAM = 2;
const LENGTH_DELIMITED = 2;

/** Reads the signature of the graph in an `.onnx` file (see {@link parseGraphSignature}). */
export async function readGraphSignature(file: string): Promise<GraphSignature> {
  return parseGraphSignature(await readFile(file));
}

/**
 * The inputs and outputs of an ONNX model, read from its protobuf bytes
 * without decoding the rest: a tree ensemble's nodes are tens of megabytes
 * of attributes that a full decode (or an onnxruntime session, ~1 s and
 * hundreds of MB) would build only to be thrown away. Graph inputs that are
 * initializers (weights, in models of IR version < 4) are not inputs a
 * request feeds, and are left out.
 */
export function parseGraphSignature(bytes: Uint8Array): GraphSignature {
  const model = protobuf.Reader.create(bytes);
  let graph: Uint8Array | undefined;
  while (model.pos < model.len) {
    const tag = model.uint32();
    if (tag >>> 3 === MODEL_GRAPH && (tag & 7) === LENGTH_DELIMITED) graph = model.bytes();
    else model.skipType(tag & 7);
  }
  if (graph === undefined) throw new Error('holds no graph (is it an ONNX model?)');
  const reader = protobuf.Reader.create(graph);
  const inputs: ValueSignature[] = [];
  const outputs: ValueSignature[] = [];
  const initializers = new Set<string>();
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    if ((tag & 7) !== LENGTH_DELIMITED) {
      reader.skipType(tag & 7);
    } else if (field === GRAPH_INPUT) {
      inputs.push(valueInfo(reader.bytes()));
    } else if (field === GRAPH_OUTPUT) {
      outputs.push(valueInfo(reader.bytes()));
    } else if (field === GRAPH_INITIALIZER) {
      const name = stringField(reader.bytes(), TENSOR_NAME);
      if (name !== undefined) initializers.add(name);
    } else {
      reader.skipType(tag & 7);
    }
  }
  return { inputs: inputs.filter((input) => !initializers.has(input.name)), outputs };
}

function valueInfo(bytes: Uint8Array): ValueSignature {
  const reader = protobuf.Reader.create(bytes);
  let name = '';
  let type: Uint8Array | undefined;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === VALUE_NAME) name = reader.string();
    else if (tag >>> 3 === VALUE_TYPE) type = reader.bytes();
    else reader.skipType(tag & 7);
  }
  if (type === undefined) return { name, kind: 'other' };
  const typeReader = protobuf.Reader.create(type);
  while (typeReader.pos < typeReader.len) {
    const tag = typeReader.uint32();
    const field = tag >>> 3;
    if (field === TYPE_TENSOR) return { name, kind: 'tensor', ...tensorType(typeReader.bytes()) };
    if (field === TYPE_SEQUENCE) return { name, kind: 'sequence' };
    if (field === TYPE_MAP) return { name, kind: 'map' };
    typeReader.skipType(tag & 7);
  }
  return { name, kind: 'other' };
}

function tensorType(bytes: Uint8Array): { type: TensorType; shape: Dimension[] | undefined } {
  const reader = protobuf.Reader.create(bytes);
  let type: TensorType = 'unsupported';
  let shape: Dimension[] | undefined;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    if (field === TENSOR_TYPE_ELEM) {
      const code = reader.int32();
      type = ELEMENT_TYPES[code as keyof typeof ELEMENT_TYPES] ?? 'unsupported';
    } else if (field === TENSOR_TYPE_SHAPE) {
      shape = dimensions(reader.bytes());
    } else {
      reader.skipType(tag & 7);
    }
  }
  return { type, shape };
}

function dimensions(bytes: Uint8Array): Dimension[] {
  const reader = protobuf.Reader.create(bytes);
  const dims: Dimension[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 !== SHAPE_DIM) {
      reader.skipType(tag & 7);
      continue;
    }
    const dim = protobuf.Reader.create(reader.bytes());
    let value: Dimension = null;
    while (dim.pos < dim.len) {
      const dimTag = dim.uint32();
      if (dimTag >>> 3 === DIM_VALUE) value = toNumber(dim.int64() as unknown as number | { toNumber(): number });
      else if (dimTag >>> 3 === DIM_PARAM) value = dim.string();
      else dim.skipType(dimTag & 7);
    }
    dims.push(value);
  }
  return dims;
}

function stringField(bytes: Uint8Array, wanted: number): string | undefined {
  const reader = protobuf.Reader.create(bytes);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === wanted && (tag & 7) === LENGTH_DELIMITED) return reader.string();
    reader.skipType(tag & 7);
  }
  return undefined;
}

// protobufjs gives a Long when the `long` package is installed, a number otherwise.
function toNumber(value: number | { toNumber(): number }): number {
  return typeof value === 'number' ? value : value.toNumber();
}
