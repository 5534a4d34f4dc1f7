import { z } from 'zod';
import { ERROR_CODE_LIST, ERROR_CODES } from '../errors.js';

const fieldIssueSchema = z.object({ field: z.string().describe('The field, e.g. `age` or `instances[3].age`'), reason: z.string() });

/** The `error` of every error answer: the code, the message, and the typed extra fields some codes carry. */
const gatewayErrorSchema = z
  .object({
    code: z.enum(ERROR_CODE_LIST).describe(ERROR_CODE_LIST.map((code) => `${code}: ${ERROR_CODES[code].summary}`).join('; ')),
    message: z.string(),
    requestId: z.string().describe('The x-request-id of the request'),
    issues: z.array(fieldIssueSchema).optional().describe('GW_ERR_VALIDATION: each rejected field and why'),
    issuesOmitted: z.int().optional().describe('GW_ERR_VALIDATION: issues found beyond those listed (rows are checked in order, up to the row where the 20th issue is found)'),
    field: z.string().optional().describe('GW_ERR_TOO_MANY_ROWS: the field over its limit; GW_ERR_MODEL, GW_ERR_POISON_ROW in a request of several rows: the failing row, e.g. instances[2]'),
    row: z.int().optional().describe('GW_ERR_MODEL, GW_ERR_POISON_ROW: index of the failing row among those of the request'),
    rows: z.int().optional().describe('GW_ERR_TOO_MANY_ROWS: rows sent'),
    limitRows: z.int().optional().describe('GW_ERR_TOO_MANY_ROWS: the limit'),
    allow: z.array(z.string()).optional().describe('GW_ERR_METHOD_NOT_ALLOWED: the methods the path takes (also the Allow header)'),
    limitBytes: z.int().optional().describe('GW_ERR_PAYLOAD_TOO_LARGE: the body limit'),
    model: z.string().optional().describe('GW_ERR_MODEL_NOT_FOUND, GW_ERR_LOAD_FAILED: the model named'),
    predictedMs: z.number().optional().describe('GW_ERR_OVERLOADED: the predicted wait'),
    objectiveMs: z.number().optional().describe('GW_ERR_OVERLOADED: the wait admitted'),
    timeoutMs: z.number().optional().describe('GW_ERR_DEADLINE_EXCEEDED: the deadline'),
    workerCode: z.string().optional().describe("GW_ERR_MODEL: the worker's own code, e.g. HANDLER_ERROR, RESULT_LENGTH, RESULT_SCHEMA"),
    attempts: z.int().optional().describe('GW_ERR_POISON_ROW: times the row crashed a worker'),
    lastCode: z.string().optional().describe('GW_ERR_POISON_ROW: the code of its last failure'),
  });

/** `{"error": {...}}`: the body of every error answer of the gateway's own routes. */
export const errorBodySchema = z.object({ error: gatewayErrorSchema });

/** The schemas every OpenAPI document of the gateway names as components. */
export const SHARED_COMPONENTS: readonly (readonly [z.ZodType, string])[] = [
  [fieldIssueSchema, 'FieldIssue'],
  [gatewayErrorSchema, 'GatewayError'],
  [errorBodySchema, 'ErrorResponse'],
];
