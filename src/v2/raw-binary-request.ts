import { ValidationError } from '../errors.js';
import { ELEMENT_BYTES } from './datatypes.js';
import type { DeclaredObject } from './declared-fields.js';
import { BINARY_DATA_SIZE } from './decode-inputs.js';
import { tensorSpecs } from './tensor-spec.js';
import { INFERENCE_HEADER_CONTENT_LENGTH } from './v2-body.js';
import type { InferRequest } from './v2-schemas.js';

/**
 * The inference header of a raw binary request (Triton's binary tensor
 * extension, `Inference-Header-Content-Length: 0`): the whole body is the
 * data of the model's only input, and the header is what that input's
 * declaration and the body's length imply. As in Triton, only a model with
 * one input of fixed-size elements and one open dimension (the rows)
 * qualifies; the outputs are returned as JSON.
 */
export function rawBinaryRequest(modelName: string, input: DeclaredObject, byteLength: number): InferRequest {
  const specs = tensorSpecs(input);
  const field = `header ${INFERENCE_HEADER_CONTENT_LENGTH}`;
  const refuse = (reason: string): never => {
    throw new ValidationError([{ field, reason: `is 0 (a raw binary request, the whole body one input's data), ${reason}; send the JSON inference header before the tensor bytes` }]);
  };
  if (specs.length !== 1) refuse(`which needs a model with exactly one input, and ${modelName} has ${specs.length}`);
  const spec = specs[0]!;
  if (spec.datatype === 'BYTES') refuse(`which needs fixed-size elements, and input ${spec.name} is BYTES`);
  if (spec.list && spec.width === undefined) refuse(`which needs the row length of input ${spec.name} to be fixed, and ${modelName} leaves it open`);
  const rowBytes = (spec.width ?? 1) * ELEMENT_BYTES[spec.datatype as keyof typeof ELEMENT_BYTES];
  if (byteLength === 0 || byteLength % rowBytes !== 0) {
    throw new ValidationError([
      { field: 'body', reason: `is ${byteLength} bytes, not a whole number of ${rowBytes}-byte rows of input ${spec.name} (${spec.datatype} [${spec.shape.join(', ')}], little-endian)` },
    ]);
  }
  const rows = byteLength / rowBytes;
  return {
    inputs: [{ name: spec.name, datatype: spec.datatype, shape: spec.list ? [rows, spec.width!] : [rows], parameters: { [BINARY_DATA_SIZE]: byteLength } }],
  } as InferRequest;
}
