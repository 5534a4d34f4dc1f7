import { z } from 'zod';
import { formatIssues } from '../config/format-issues.js';
import { TooManyRowsError, ValidationError } from '../errors.js';
import type { ModelSpec } from '../model/manifest.js';
import { rowSchema, type Row } from '../model/row-schema.js';
import { parseRequestTimeout, REQUEST_TIMEOUT_HEADER, requestTimeoutSchema } from './request-timeout.js';

export { REQUEST_TIMEOUT_HEADER };

export const errorBodySchema = z
  .object({
    error: z.looseObject({
      code: z.string().describe('Stable error code, GW_ERR_*'),
      message: z.string(),
      requestId: z.string(),
      issues: z.array(z.object({ field: z.string(), reason: z.string() })).optional().describe('Each rejected field and why'),
    }),
  })
  .describe('Error');

/** Everything the /predict route needs to know about the model's fields, built once from the manifest. */
export interface PredictSchemas {
  readonly row: z.ZodObject;
  readonly result: z.ZodObject;
  /** The body as documented: one row, or `{"instances": [rows]}`. */
  readonly body: z.ZodType;
  readonly response: z.ZodType;
  readonly headers: z.ZodType;
  /** Validates a body, choosing the form by the presence of `instances`, so errors name the right fields. */
  validateBody(body: unknown): { value: Row | { instances: Row[] } } | { error: ValidationError | TooManyRowsError };
  validateTimeout(value: unknown): { value: number | undefined } | { error: ValidationError };
}

export function predictSchemas(spec: ModelSpec, limits: { maxRequestRows: number; maxTimeoutMs: number }): PredictSchemas {
  const { manifest } = spec;
  const row = rowSchema(manifest.input, manifest.example);
  const result = rowSchema(manifest.output);
  const batch = z.strictObject({
    instances: z.array(row).min(1).max(limits.maxRequestRows).describe(`Rows to predict, at most ${limits.maxRequestRows}`),
  });
  const timeout = requestTimeoutSchema(limits.maxTimeoutMs);

  return {
    row,
    result,
    body: z.union([row, batch]).describe(`One ${manifest.name} row, or {"instances": [rows]}`),
    response: z.union([result, z.object({ predictions: z.array(result).describe('One result per instance, same order') })]),
    headers: z.looseObject({
      [REQUEST_TIMEOUT_HEADER]: timeout,
      'x-request-id': z.string().max(128).optional().describe('Correlation id; generated when absent, echoed in the response'),
    }),
    validateBody(body) {
      if (typeof body === 'object' && body !== null && !Array.isArray(body) && 'instances' in body) {
        const { instances } = body as { instances: unknown };
        if (Array.isArray(instances) && instances.length > limits.maxRequestRows) {
          return { error: new TooManyRowsError(instances.length, limits.maxRequestRows) };
        }
        const parsed = batch.safeParse(body);
        return parsed.success ? { value: parsed.data as { instances: Row[] } } : { error: new ValidationError(formatIssues(parsed.error.issues)) };
      }
      const parsed = row.safeParse(body);
      return parsed.success ? { value: parsed.data as Row } : { error: new ValidationError(formatIssues(parsed.error.issues)) };
    },
    validateTimeout(value) {
      return parseRequestTimeout(value, limits.maxTimeoutMs);
    },
  };
}
