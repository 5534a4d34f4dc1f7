import { InternalError, ValidationError, type FieldIssue } from '../errors.js';
import type { Result } from '../model/row-schema.js';
import { encodeBinary } from './binary-tensor.js';
import type { Datatype } from './datatypes.js';
import type { DeclaredObject } from './declared-fields.js';
import { tensorSpecs, type TensorSpec } from './tensor-spec.js';
import type { InferRequest } from './v2-schemas.js';

/** Request parameter: every output in binary unless an output says otherwise. */
export const BINARY_DATA_OUTPUT = 'binary_data_output';
/** Output parameter: this output in binary (true) or JSON (false). */
export const BINARY_DATA = 'binary_data';

/** One output to return, and in which form. */
export interface OutputChoice {
  readonly spec: TensorSpec;
  readonly binary: boolean;
}

/**
 * The outputs a request asks for, in its order (default: all, in the
 * manifest's order), each in JSON or the binary form. An unknown name is
 * refused before the model runs.
 */
export function chooseOutputs(request: InferRequest, output: DeclaredObject, modelName: string): OutputChoice[] {
  const specs = tensorSpecs(output);
  const issues: FieldIssue[] = [];
  const binaryDefault = flag(request.parameters?.[BINARY_DATA_OUTPUT], `parameters.${BINARY_DATA_OUTPUT}`, issues) ?? false;
  if (request.outputs === undefined || request.outputs.length === 0) {
    if (issues.length > 0) throw new ValidationError(issues);
    return specs.map((spec) => ({ spec, binary: binaryDefault }));
  }
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const chosen: OutputChoice[] = [];
  const seen = new Set<string>();
  request.outputs.forEach((wanted, i) => {
    const spec = byName.get(wanted.name);
    if (spec === undefined) {
      issues.push({ field: `outputs[${i}]`, reason: `${JSON.stringify(wanted.name)} is not an output of ${modelName} (its outputs: ${specs.map((s) => s.name).join(', ')})` });
      return;
    }
    if (seen.has(spec.name)) {
      issues.push({ field: `outputs[${i}]`, reason: `${JSON.stringify(spec.name)} is asked for more than once` });
      return;
    }
    seen.add(spec.name);
    const binary = flag(wanted.parameters?.[BINARY_DATA], `outputs[${i}].parameters.${BINARY_DATA}`, issues) ?? binaryDefault;
    chosen.push({ spec, binary });
  });
  if (issues.length > 0) throw new ValidationError(issues);
  return chosen;
}

function flag(value: unknown, field: string, issues: FieldIssue[]): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  issues.push({ field, reason: `must be true or false, got ${JSON.stringify(value)}` });
  return undefined;
}

export interface ResponseOutput {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: number[];
  readonly parameters?: { readonly binary_data_size: number };
  readonly data?: unknown[];
}

export interface InferResponse {
  readonly model_name: string;
  readonly model_version?: string;
  readonly id: string;
  readonly outputs: ResponseOutput[];
}

/** A response ready to send: its JSON, and the binary tensors that follow it (none for a pure-JSON answer). */
export interface EncodedResponse {
  readonly json: InferResponse;
  readonly binary: readonly Buffer[];
}

/**
 * The model's results (one per row) as output tensors. A result that does
 * not match the manifest's output declaration is the model's fault, not the
 * caller's: it is a 500 naming the output and the row.
 */
export function encodeOutputs(results: readonly Result[], choices: readonly OutputChoice[], head: Omit<InferResponse, 'outputs'>): EncodedResponse {
  const outputs: ResponseOutput[] = [];
  const binary: Buffer[] = [];
  for (const { spec, binary: asBinary } of choices) {
    const { data, shape } = tensorOf(results, spec);
    if (asBinary) {
      if (data.includes(null)) throw new InternalError(`output ${spec.name} holds null, which the binary tensor form cannot carry: ask for it with parameters.binary_data false`);
      const bytes = encodeBinary(data, spec.datatype);
      binary.push(bytes);
      outputs.push({ name: spec.name, datatype: spec.datatype, shape, parameters: { binary_data_size: bytes.length } });
    } else {
      outputs.push({ name: spec.name, datatype: spec.datatype, shape, data });
    }
  }
  return { json: { ...head, outputs }, binary };
}

function tensorOf(results: readonly Result[], spec: TensorSpec): { data: unknown[]; shape: number[] } {
  if (!spec.list) {
    const data = results.map((result, r) => checkElement(result[spec.name], spec, r));
    return { data, shape: [results.length] };
  }
  let width: number | undefined;
  const data: unknown[] = [];
  results.forEach((result, r) => {
    const value = result[spec.name];
    if (!Array.isArray(value)) throw new InternalError(`the model's output ${spec.name}[${r}] is not a list`);
    width ??= value.length;
    if (value.length !== width) throw new InternalError(`the model's output ${spec.name} has rows of ${width} and ${value.length} elements: a tensor needs one length`);
    for (const element of value) data.push(checkElement(element, spec, r));
  });
  return { data, shape: [results.length, width ?? spec.width ?? 0] };
}

function checkElement(value: unknown, spec: TensorSpec, row: number): unknown {
  if (value === null || value === undefined) {
    if (spec.required && !spec.nullable) throw new InternalError(`the model's result ${row} has no ${spec.name}, a required output`);
    return null;
  }
  const ok =
    spec.element === 'string' ? typeof value === 'string'
    : spec.element === 'boolean' ? typeof value === 'boolean'
    : typeof value === 'number' && Number.isFinite(value);
  if (!ok) throw new InternalError(`the model's output ${spec.name}[${row}] is ${JSON.stringify(value)}, not a ${spec.element}`);
  return value;
}
