import { z } from 'zod';
import { DATATYPES } from './datatypes.js';

/**
 * The Open Inference Protocol's REST bodies (`inference_rest.md`), once:
 * the infer request schema validates the JSON header of every request, and
 * all of them document the routes in `/openapi.json`.
 */

// The spec allows string, number and boolean values; MLServer and KServe also send nested objects (e.g. headers).
const parameters = z.record(z.string(), z.unknown()).describe('Name/value pairs, e.g. content_type, binary_data_size, binary_data');

export const datatypeSchema = z.enum(DATATYPES).describe('Tensor element type');

const requestInput = z
  .object({
    name: z.string().describe('Input tensor name: the field of the model\'s input'),
    shape: z.array(z.int().min(0)).describe('Dimensions; the first is the number of rows'),
    datatype: z.string().describe(`One of ${DATATYPES.join(', ')}`),
    parameters: parameters.optional(),
    data: z.array(z.unknown()).optional().describe('Elements in row-major order, flat or nested; absent when sent as binary (parameters.binary_data_size)'),
  });

const requestOutput = z
  .object({
    name: z.string().describe('Output tensor name: a field of the model\'s output'),
    parameters: parameters.optional().describe('{"binary_data": true} returns this output in the binary tensor form'),
  });

export const inferRequestSchema = z
  .object({
    id: z.string().optional().describe('Echoed in the response'),
    parameters: parameters.optional().describe('{"content_type": "pd"} (accepted, the default for a tabular model); {"binary_data_output": true} returns every output in binary'),
    inputs: z.array(requestInput).min(1),
    outputs: z.array(requestOutput).optional().describe('Outputs to return, in this order; default: all'),
  })
  .describe('Inference request (JSON, or with the binary tensor extension: this JSON, then the tensors\' bytes, its length in Inference-Header-Content-Length)');

export type InferRequest = z.infer<typeof inferRequestSchema>;
export type RequestInput = InferRequest['inputs'][number];
export type RequestOutput = NonNullable<InferRequest['outputs']>[number];

const responseOutput = z
  .object({
    name: z.string(),
    shape: z.array(z.int()),
    datatype: datatypeSchema,
    parameters: parameters.optional().describe('binary_data_size when the output is in the binary part of the body'),
    data: z.array(z.unknown()).optional().describe('Elements in row-major order (absent for a binary output)'),
  });

export const inferResponseSchema = z
  .object({
    model_name: z.string(),
    model_version: z.string().optional(),
    id: z.string().describe('The request\'s id, or its x-request-id when it sent none'),
    parameters: parameters.optional(),
    outputs: z.array(responseOutput),
  })
  .describe('Inference response; with binary outputs, application/octet-stream: this JSON, then the tensors\' bytes');

const tensorMetadata = z
  .object({
    name: z.string(),
    datatype: datatypeSchema,
    shape: z.array(z.int()).describe('-1 for a variable dimension (the rows)'),
  });

export const modelMetadataSchema = z
  .object({
    name: z.string(),
    versions: z.array(z.string()).optional(),
    platform: z.string(),
    inputs: z.array(tensorMetadata),
    outputs: z.array(tensorMetadata),
  });

export const serverMetadataSchema = z
  .object({ name: z.string(), version: z.string(), extensions: z.array(z.string()) });

export const serverLiveSchema = z.object({ live: z.boolean() });
export const serverReadySchema = z.object({ ready: z.boolean() });
export const modelReadySchema = z.object({ name: z.string(), ready: z.boolean() });

export const v2ErrorSchema = z
  .object({ error: z.string().describe('What went wrong; for bad input, which input and why') })
  .describe('Error (the error code, GW_ERR_*, is in the x-error-code header)');

/** The schemas the OpenAPI document names as components (KServe's own document names them alike). */
export const V2_COMPONENTS: readonly (readonly [z.ZodType, string])[] = [
  [requestInput, 'V2InputTensor'],
  [requestOutput, 'V2RequestOutput'],
  [inferRequestSchema, 'V2InferRequest'],
  [responseOutput, 'V2ResponseOutput'],
  [inferResponseSchema, 'V2InferResponse'],
  [tensorMetadata, 'V2TensorMetadata'],
  [modelMetadataSchema, 'V2ModelMetadata'],
  [serverMetadataSchema, 'V2ServerMetadata'],
  [serverLiveSchema, 'V2ServerLive'],
  [serverReadySchema, 'V2ServerReady'],
  [modelReadySchema, 'V2ModelReady'],
  [v2ErrorSchema, 'V2Error'],
];
